"""Recorded outputs in (CSV or JSONL tables) and per-student results out (versioned JSON).

A table has one row per (student, case, prompt): columns `student`, `case`, `prompt`, `output`,
and optionally `grade`, the student's own 0/1/2 (empty when not graded). Tables come from
spreadsheets: UTF-8 with or without BOM, UTF-16, else cp1252 (French Excel) or Latin-1, `,` `;`
or tab. A bad row loses only what is bad in it (a bad grade: that grade; a bad student id or a
missing field: that row), with a problem naming the file, line and field; only a file nobody
could be scored from (unreadable, no required column) is an error.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from grader.bench.scoring import BenchResult, RecordedOutput
from grader.errors import ConfigError
from grader.results import SCHEMA_VERSION
from grader.text import clean_text

COLUMNS = ("student", "case", "prompt", "output")
_SAFE_ID = re.compile(r"\w[\w.-]*")
_DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class RowProblem:
    """Something wrong in one row: for the terminal (`error`, English, file:line: field) and,
    when the row names a valid student, for their report (`french`)."""

    error: ConfigError
    french: str
    student: str | None = None


@dataclass(frozen=True)
class OutputTable:
    rows: list[RecordedOutput]
    problems: list[RowProblem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # about the whole file, for the terminal

    def warnings_for(self, student: str) -> list[str]:
        return [p.french for p in self.problems if p.student == student]


def read_outputs(path: str | Path, encoding: str | None = None) -> OutputTable:
    path = Path(path)
    if path.suffix.lower() not in (".csv", ".jsonl"):
        raise ConfigError(path, "expected a .csv or .jsonl file of outputs")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(path, "file not found") from None
    except OSError as exc:
        raise ConfigError(path, f"cannot read the file: {exc}") from None
    text, used = decode_table(path, data, encoding)
    table = OutputTable([])
    if used not in ("utf-8", "utf-8-sig") and encoding is None:
        table.notices.append(f"{path}: not UTF-8, read as {used}")
    if path.suffix.lower() == ".jsonl":
        _read_jsonl(path, text, table)
    else:
        _read_csv(path, text, table)
    return table


def decode_table(path: Path, data: bytes, encoding: str | None) -> tuple[str, str]:
    """The text and the encoding it was read with: `encoding` if given, else a BOM's, else
    UTF-8, else cp1252 (what French Excel writes), else Latin-1 (which reads any byte)."""
    if encoding is not None:
        candidates = [encoding]
    elif data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "cp1252", "latin-1"]
    for candidate in candidates:
        try:
            return data.decode(candidate), codecs.lookup(candidate).name
        except UnicodeDecodeError as exc:
            last = exc
        except LookupError:
            raise ConfigError(path, f"unknown encoding {candidate!r}") from None
    line = data[: last.start].count(b"\n") + 1
    raise ConfigError(path, f"not valid {candidates[-1]}: {last.reason}", line=line)


def _read_csv(path: Path, text: str, table: OutputTable) -> None:
    first_line = text.split("\n", 1)[0]
    delimiter = max(_DELIMITERS, key=first_line.count)
    reader = csv.DictReader(text.splitlines(keepends=True), delimiter=delimiter)
    header = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise ConfigError(path, f"missing column(s) {', '.join(missing)}; found {header}", line=1)
    unknown = [name for name in header if name not in (*COLUMNS, "grade")]
    if unknown:
        table.notices.append(f"{path}: column(s) {', '.join(unknown)} ignored")
    for row in reader:
        line = reader.line_num  # the row's last line: outputs may span several lines
        if None in row:
            _problem(table, path, line, None, "more values than columns", "valeurs en trop")
            continue
        if not any((value or "").strip() for value in row.values()):
            continue
        _add_row(table, path, line, row)


def _read_jsonl(path: Path, text: str, table: OutputTable) -> None:
    for line, content in enumerate(text.splitlines(), start=1):
        if not content.strip():
            continue
        try:
            record = json.loads(content)
        except (ValueError, RecursionError) as exc:
            _problem(table, path, line, None, f"invalid JSON: {exc}", "JSON invalide")
            continue
        if not isinstance(record, dict):
            _problem(table, path, line, None, "expected one JSON object per line", "pas un objet")
            continue
        _add_row(table, path, line, record)


def _problem(
    table: OutputTable,
    path: Path,
    line: int,
    column: str | None,
    message: str,
    french: str,
    student: str | None = None,
) -> None:
    where = f"ligne {line} du tableau" + (f", colonne {column}" if column else "")
    table.problems.append(
        RowProblem(
            ConfigError(path, message, line=line, field=column), f"{where} : {french}", student
        )
    )


def _add_row(table: OutputTable, path: Path, line: int, record: dict[str, Any]) -> None:
    student = record.get("student")
    valid_student = student.strip() if isinstance(student, str) else None
    if valid_student is not None and not _SAFE_ID.fullmatch(valid_student):
        _problem(
            table,
            path,
            line,
            "student",
            f"student id {student!r} may hold only letters, digits, '.', '-' and '_' "
            "(it names the result files); row ignored",
            "identifiant d'étudiant invalide, ligne ignorée",
        )
        return
    for column in COLUMNS:
        value = record.get(column)
        if value is None:
            _problem(
                table,
                path,
                line,
                column,
                "required, but missing; row ignored",
                "valeur absente, ligne ignorée",
                valid_student,
            )
            return
        if not isinstance(value, str) or (column != "output" and not value.strip()):
            _problem(
                table,
                path,
                line,
                column,
                f"expected a text, got {value!r}; row ignored",
                "texte attendu, ligne ignorée",
                valid_student,
            )
            return
    grade = _grade(record.get("grade"))
    if grade is _BAD:
        shown = str(record.get("grade"))[:20]
        _problem(
            table,
            path,
            line,
            "grade",
            f"expected 0, 1 or 2, got {shown!r}; the grade is ignored, the output is scored",
            f"note « {shown} » ignorée : attendu 0, 1 ou 2",
            valid_student,
        )
    table.rows.append(
        RecordedOutput(
            student=str(valid_student),
            case=clean_text(record["case"].strip()),
            prompt=clean_text(record["prompt"].strip()),
            output=clean_text(record["output"]),  # a lone surrogate would break every writer
            student_grade=grade if isinstance(grade, int) else None,
        )
    )


_BAD = object()


def _grade(value: Any) -> int | object | None:
    """0, 1 or 2; None when empty; _BAD otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip().replace(",", ".")
    if isinstance(value, bool) or text not in ("0", "1", "2", "0.0", "1.0", "2.0"):
        return _BAD
    return int(float(text))


def by_student(rows: list[RecordedOutput]) -> dict[str, list[RecordedOutput]]:
    students: dict[str, list[RecordedOutput]] = {}
    for row in rows:
        students.setdefault(row.student, []).append(row)
    return students


def result_to_dict(result: BenchResult) -> dict[str, Any]:
    """The JSON of one student's benchmark: schema_version 1, kind "bench"."""
    body = asdict(result)
    for prompt in body["prompts"]:
        for case, scored in zip(prompt["cases"], _cases(result, prompt["prompt"]), strict=True):
            case["reason"] = scored.reason
    if result.analysis is not None:
        for mean, check in zip(body["analysis"]["means"], result.analysis.means, strict=True):
            mean["matches"] = check.matches
    return {"schema_version": SCHEMA_VERSION, "kind": "bench", **body}


def _cases(result: BenchResult, prompt: str) -> tuple[Any, ...]:
    return next(p.cases for p in result.prompts if p.prompt == prompt)
