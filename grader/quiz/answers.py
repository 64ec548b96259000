"""Students' answers read from CSV, a Moodle responses export, YAML/JSON or notebooks.

Each reader yields one `AnswerSheet` per student, with where it came from (file and line) so a
bad row is named. A problem in one row (duplicate student) is collected and the other rows are
kept; a problem that concerns every row (no student column) stops the reading. Files in any
common encoding are read (grader/quiz/answers.py:decode); what was guessed or ignored is a
notice, which `grader quiz score` prints.
"""

from __future__ import annotations

import ast
import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from grader.errors import ConfigError
from grader.quiz.spec import Quiz
from grader.sandbox.limits import Limits
from grader.submission import read_notebook as read_handed_in
from grader.text import safe_text

RawAnswer = str | float | int | bool | list[str] | None
STUDENT_COLUMNS = ("student", "etudiant", "étudiant", "id")
NOTEBOOK_VARIABLE = "reponses"


@dataclass(frozen=True)
class AnswerSheet:
    student: str
    answers: dict[str, RawAnswer]
    path: Path
    line: int | None = None
    by_position: bool = False  # Moodle: answers keyed "1", "2"… in the quiz's order

    def error(self, message: str, question_id: str | None = None) -> ConfigError:
        field_name = f"{self.student}.{question_id}" if question_id else self.student
        return ConfigError(self.path, message, line=self.line, field=field_name)


@dataclass
class AnswerBatch:
    sheets: list[AnswerSheet] = field(default_factory=list)
    problems: list[ConfigError] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # read, but the instructor should know

    def add(self, sheet: AnswerSheet) -> None:
        for earlier in self.sheets:
            if earlier.student == sheet.student:
                where = f"{earlier.path.name}:{earlier.line}" if earlier.line else earlier.path.name
                self.problems.append(
                    sheet.error(f"duplicate student '{sheet.student}' (first seen at {where})")
                )
                return
        self.sheets.append(sheet)


def read_answers(quiz: Quiz, paths: list[Path], encoding: str | None = None) -> AnswerBatch:
    """Every sheet from `paths` (files or folders of notebooks), duplicates reported.

    `encoding` forces the CSV files' encoding; by default it is detected (see `decode`)."""
    batch = AnswerBatch()
    for path in paths:
        for sheet in _read_one(quiz, path, batch, encoding):
            batch.add(sheet)
    return batch


def _read_one(
    quiz: Quiz, path: Path, batch: AnswerBatch, encoding: str | None
) -> Iterator[AnswerSheet]:
    if path.is_dir():
        notebooks = sorted(path.glob("*.ipynb"))
        if not notebooks:
            raise ConfigError(path, "no .ipynb notebook in this folder")
        for notebook in notebooks:
            yield from _guard(read_notebook, notebook, batch)
        return
    if not path.exists():
        raise ConfigError(path, "file not found")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from read_csv(quiz, path, batch.problems, batch.notices, encoding)
    elif suffix in {".yaml", ".yml", ".json"}:
        yield from read_mapping(path, batch.notices, encoding)
    elif suffix == ".ipynb":
        yield from _guard(read_notebook, path, batch)
    else:
        raise ConfigError(path, "unknown answers format; expected .csv, .yaml, .json or .ipynb")


def _guard(
    reader: Callable[[Path], AnswerSheet], path: Path, batch: AnswerBatch
) -> Iterator[AnswerSheet]:
    """One bad notebook is a problem of that student, not of the whole class."""
    try:
        yield reader(path)
    except ConfigError as problem:
        batch.problems.append(problem)


def decode(path: Path, data: bytes, encoding: str | None, notices: list[str]) -> str:
    """UTF-8 (with or without BOM), else cp1252 (French Excel's default), else Latin-1.

    cp1252 is tried before Latin-1 because it decodes the same letters and also the curly
    quotes, « » spaces and œ that Excel writes in 0x80-0x9F; Latin-1 only takes what cp1252
    leaves undefined. A file that is not UTF-8 gets one notice naming the encoding used."""
    if encoding is not None:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError) as exc:
            raise ConfigError(path, f"cannot read the file as {encoding}: {exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    for fallback in ("cp1252", "latin-1"):
        try:
            text = data.decode(fallback)
        except UnicodeDecodeError:
            continue
        notices.append(
            f"{path}: not UTF-8, read as {fallback} (use --encoding if the accents look wrong)"
        )
        return text
    raise AssertionError("latin-1 decodes every byte")


def separator(text: str) -> str:
    """The header's most frequent of `;`, `,` and tab (a sniffer is fooled by `b,d` answers)."""
    header = text.split("\n", 1)[0]
    return max((";", ",", "\t"), key=header.count) if any(c in header for c in ";,\t") else ","


def read_csv(
    quiz: Quiz,
    path: Path,
    problems: list[ConfigError] | None = None,
    notices: list[str] | None = None,
    encoding: str | None = None,
) -> Iterator[AnswerSheet]:
    """A CSV with a student column and one column per question id, or a Moodle export.

    `,`, `;` or tab separated. Columns that are not question ids (name, email…) are ignored
    with one notice. A row without a student id is added to `problems` (raised if not given);
    the others are read."""
    notes = notices if notices is not None else []
    text = decode(path, path.read_bytes(), encoding, notes)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator(text))
    header = [name.strip() for name in next(reader, [])]
    if not header:
        raise ConfigError(path, "the file is empty")
    if any(name.startswith("Response ") for name in header):
        yield from _moodle_rows(path, header, reader)
        return
    lowered = [name.casefold() for name in header]
    student_column = next(
        (lowered.index(name) for name in STUDENT_COLUMNS if name in lowered), None
    )
    if student_column is None:
        raise ConfigError(
            path, "no student column; name one of: " + ", ".join(STUDENT_COLUMNS), line=1
        )
    known = quiz.index()
    columns = {
        number: name
        for number, name in enumerate(header)
        if number != student_column and name in known
    }
    ignored = [name for n, name in enumerate(header) if n != student_column and n not in columns]
    if ignored:
        notes.append(
            f"{path}:1: columns that are not question ids are ignored: "
            + ", ".join(safe_text(name, 60) for name in ignored)
        )
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        student = row[student_column].strip() if student_column < len(row) else ""
        if not student:
            problem = ConfigError(path, "a row without a student id", line=reader.line_num)
            if problems is None:
                raise problem
            problems.append(problem)
            continue
        answers: dict[str, RawAnswer] = {
            name: row[number] for number, name in columns.items() if number < len(row)
        }
        yield AnswerSheet(student, answers, path, reader.line_num)


def _moodle_rows(path: Path, header: list[str], reader: Any) -> Iterator[AnswerSheet]:
    """Moodle's quiz "Responses" report: Response 1…n hold the texts of the chosen options."""
    for name in ("ID number", "Username", "Email address"):
        if name in header:
            student_column = header.index(name)
            break
    else:
        raise ConfigError(path, "Moodle export without 'ID number', 'Username' or 'Email address'")
    responses = {
        name.removeprefix("Response ").strip(): column
        for column, name in enumerate(header)
        if name.startswith("Response ")
    }
    for row in reader:
        if not row or not row[student_column].strip() or row[0].startswith("Overall average"):
            continue
        answers: dict[str, RawAnswer] = {}
        for position, column in responses.items():
            value = row[column].strip() if column < len(row) else ""
            answers[position] = "" if value == "-" else value
        yield AnswerSheet(row[student_column].strip(), answers, path, reader.line_num, True)


def read_mapping(
    path: Path, notices: list[str] | None = None, encoding: str | None = None
) -> Iterator[AnswerSheet]:
    """YAML or JSON: `{student: {question_id: answer}}`; duplicated keys are errors."""
    text = decode(path, path.read_bytes(), encoding, notices if notices is not None else [])
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise ConfigError(
            path, f"invalid file: {exc.problem}", line=mark.line + 1 if mark else None
        ) from None
    if root is None:
        raise ConfigError(path, "the file is empty")
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(path, "expected a mapping of student ids to answers", line=1)
    seen: dict[str, int] = {}
    for key_node, value_node in root.value:
        student, line = str(key_node.value), key_node.start_mark.line + 1
        if student in seen:
            raise ConfigError(
                path, f"duplicate student '{student}' (first at line {seen[student]})", line=line
            )
        seen[student] = line
        if not isinstance(value_node, yaml.MappingNode):
            raise ConfigError(
                path, "expected a mapping of question ids to answers", line=line, field=student
            )
        answers: dict[str, RawAnswer] = {}
        for question_node, answer_node in value_node.value:
            question_id = str(question_node.value)
            if question_id in answers:
                raise ConfigError(
                    path,
                    f"question '{question_id}' answered twice",
                    line=question_node.start_mark.line + 1,
                    field=student,
                )
            answers[question_id] = _plain(yaml.safe_load(yaml.serialize(answer_node)))
        yield AnswerSheet(student, answers, path, line)


def read_notebook(path: Path) -> AnswerSheet:
    """The last `reponses = {...}` cell of a notebook, read as a literal (never executed); the
    file is read as grading reads it (grader/submission.py): not a link, a FIFO or a device."""
    handed_in = read_handed_in(path, Limits())
    if handed_in.content is None:
        raise ConfigError(path, f"cannot read the notebook: {handed_in.problem}")
    try:
        notebook = json.loads(handed_in.content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(path, f"cannot read the notebook: {exc}") from None
    found: tuple[int, ast.expr] | None = None
    for index, cell in enumerate(notebook.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        code = "\n".join(
            "" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
        )
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for statement in tree.body:
            if isinstance(statement, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == NOTEBOOK_VARIABLE
                for target in statement.targets
            ):
                found = (index, statement.value)
    if found is None:
        raise ConfigError(path, f"no cell assigns `{NOTEBOOK_VARIABLE} = {{...}}`")
    index, value = found
    try:
        answers = ast.literal_eval(value)
    except ValueError:
        raise ConfigError(
            path, f"cell {index + 1}: `{NOTEBOOK_VARIABLE}` must be a literal dict of answers"
        ) from None
    if not isinstance(answers, dict):
        raise ConfigError(path, f"cell {index + 1}: `{NOTEBOOK_VARIABLE}` must be a dict")
    return AnswerSheet(path.stem, {str(k): _plain(v) for k, v in answers.items()}, path)


def _plain(value: Any) -> RawAnswer:
    if isinstance(value, list | tuple | set):
        return [str(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
