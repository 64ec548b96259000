"""`grader quiz …`: score a class, render a student's copy, export to Moodle, import a bank.

Thin commands: parse, call grader.quiz, turn a user's mistake into one line and exit code 2.
The lead registers the group with `main.add_command(quiz)`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from grader.atomic import write_json_atomic, write_text_atomic
from grader.cli_common import Exit, errors_to_exit_codes
from grader.text import safe_text


def warn(prefix: str, message: str) -> None:
    """One line on stderr: what a student or an imported file wrote cannot add lines or colours."""
    line = safe_text(message, 2000).replace("\r", "\\r").replace("\n", "\\n")
    click.echo(f"{prefix}: {line}", err=True)


@click.group("quiz")
def quiz() -> None:
    """QCM quizzes: score, render a student's copy, export to Moodle, import a bank, validate."""


@quiz.command("score")
@click.argument("quiz_file", metavar="QUIZ", type=click.Path(path_type=Path))
@click.argument("answers", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Output folder.")
@click.option(
    "--displayed",
    is_flag=True,
    help="Answers give the letters of each student's shuffled copy (A, B…), not option ids.",
)
@click.option(
    "--columns",
    type=click.Choice(["question", "topic"]),
    default="question",
    show_default=True,
    help="Gradebook columns: one per question or one per topic.",
)
@click.option(
    "--format", "output_format", type=click.Choice(["terminal", "json"]), default="terminal"
)
@click.option(
    "--encoding",
    help="Encoding of the CSV files (default: UTF-8 with or without BOM, else cp1252/Latin-1).",
)
@errors_to_exit_codes
def score(
    quiz_file: Path,
    answers: tuple[Path, ...],
    out: Path,
    displayed: bool,
    columns: str,
    output_format: str,
    encoding: str | None,
) -> None:
    """Score ANSWERS (CSV, Moodle responses CSV, YAML/JSON, notebooks) against QUIZ.

    Writes OUT/results/<student>.json, OUT/reports/<student>.html, OUT/gradebook.csv and
    OUT/item-analysis.html. CSV files may be `,` or `;` separated, in UTF-8 or cp1252; columns
    that are not question ids are ignored. A bad answer scores 0 with its reason and a
    warning; a row that cannot be scored is reported and skipped (exit code 2); the other
    students are still scored and written.

    \b
    Example:
      grader quiz score quizzes/qcm-transformers.yaml reponses.csv --out notes/qcm
    """
    from grader.quiz.run import score_class
    from grader.quiz.spec import load_quiz

    loaded = load_quiz(quiz_file)
    run = score_class(
        loaded.spec,
        list(answers),
        out,
        displayed,
        "topic" if columns == "topic" else "question",
        encoding,
    )
    if output_format == "json":
        test = run.analysis.test
        payload = {
            "quiz": loaded.spec.id,
            "out": str(out),
            "students": [
                {
                    "student": r.student,
                    "score": r.score,
                    "max_score": r.max_score,
                    "percent": r.percent,
                    "status": r.status,
                }
                for r in run.results
            ],
            "problems": [str(problem) for problem in run.problems],
            "warnings": list(run.warnings),
            "alpha": test.alpha,
            "kr20": test.kr20,
            "sem": test.sem,
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        for result in run.results:
            click.echo(
                f"{result.student:<24} {result.score:>7g} / {result.max_score:g}"
                f"  ({result.percent:g} %)"
            )
        alpha = run.analysis.test.alpha
        click.echo(
            f"{len(run.results)} students scored; Cronbach's alpha "
            f"{'n/a' if alpha is None else f'{alpha:.3f}'}; written to {out}"
        )
    for warning in run.warnings:
        warn("warning", warning)
    for problem in run.problems:
        warn("grader", str(problem))
    if run.problems:
        sys.exit(Exit.USAGE)


@quiz.command("render")
@click.argument("quiz_file", metavar="QUIZ", type=click.Path(path_type=Path))
@click.option(
    "--student", "students", required=True, multiple=True, help="Student id (repeatable)."
)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Output folder.")
@click.option("--self-check", is_flag=True, help="Embed the key: 'Vérifier' shows the feedback.")
@errors_to_exit_codes
def render(quiz_file: Path, students: tuple[str, ...], out: Path, self_check: bool) -> None:
    """Write a student's own shuffled copy of QUIZ as OUT/<student>.html (works offline).

    The permutation is also written to OUT/<student>.form.json; the same student always
    gets the same copy.

    \b
    Example:
      grader quiz render quizzes/qcm-transformers.yaml --student alice --out copies --self-check
    """
    from grader.quiz.render import render_quiz_page
    from grader.quiz.run import safe_name
    from grader.quiz.shuffle import build_form
    from grader.quiz.spec import load_quiz

    loaded = load_quiz(quiz_file)
    for student in students:
        form = build_form(loaded.spec, student)
        name = safe_name(student)
        write_text_atomic(out / f"{name}.html", render_quiz_page(loaded.spec, form, self_check))
        write_json_atomic(
            out / f"{name}.form.json",
            {
                "quiz": form.quiz_id,
                "student": form.student,
                "questions": [
                    {"id": q.question_id, "options": list(q.option_order)} for q in form.questions
                ],
            },
        )
        click.echo(out / f"{name}.html")


@quiz.command("export")
@click.argument("quiz_file", metavar="QUIZ", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "export_format",
    type=click.Choice(["moodle", "gift"]),
    required=True,
    help="moodle: Moodle XML; gift: Moodle's GIFT text format.",
)
@click.option("--out", type=click.Path(path_type=Path), help="Output file (default: stdout).")
@errors_to_exit_codes
def export(quiz_file: Path, export_format: str, out: Path | None) -> None:
    """Export QUIZ to Moodle XML or GIFT; a weight Moodle does not allow is snapped, with a warning.

    \b
    Example:
      grader quiz export quizzes/qcm-transformers.yaml --format moodle --out qcm.xml
    """
    from grader.quiz.export import to_gift, to_moodle_xml
    from grader.quiz.spec import load_quiz

    loaded = load_quiz(quiz_file)
    exported = to_moodle_xml(loaded.spec) if export_format == "moodle" else to_gift(loaded.spec)
    for warning in exported.warnings:
        warn("warning", warning)
    if out is None:
        click.echo(exported.text, nl=False)
    else:
        write_text_atomic(out, exported.text)
        click.echo(f"{out}", err=True)


@quiz.command("import")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Quiz YAML to write.")
@click.option(
    "--from",
    "source_format",
    type=click.Choice(["moodle", "gift", "amc", "markdown"]),
    help="Format of SOURCE (default: guessed from its suffix and content).",
)
@click.option(
    "--key",
    type=click.Path(path_type=Path),
    help="Answer key (« Corrigé ») of a Markdown checklist, when it is a separate file.",
)
@click.option("--encoding", help="Encoding of SOURCE (default: UTF-8, else cp1252/Latin-1).")
@errors_to_exit_codes
def import_(
    source: Path,
    out: Path,
    source_format: str | None,
    key: Path | None,
    encoding: str | None,
) -> None:
    """Turn a Moodle XML, GIFT, AMC-TXT or Markdown bank into a quiz YAML.

    What cannot be imported (an essay, a matching question, an unknown scoring key…) is
    listed on stderr with its line; the YAML written is always one `quiz score` accepts.

    \b
    Example:
      grader quiz import banque.xml --out quizzes/banque.yaml
      grader quiz import qcm.md --key corrige.md --out quizzes/qcm.yaml
    """
    from grader.quiz.importers import import_quiz

    yaml_text, draft = import_quiz(source, source_format, encoding, key)
    for skipped in draft.skipped:
        where = f"{source}:{skipped.line}" if skipped.line else str(source)
        warn("warning", f"{where}: not imported: {skipped.what}")
    write_text_atomic(out, yaml_text)
    click.echo(f"{out}: {len(draft.questions)} questions, {len(draft.skipped)} items skipped")


@quiz.command("validate")
@click.argument(
    "quiz_files", metavar="QUIZ...", nargs=-1, required=True, type=click.Path(path_type=Path)
)
@errors_to_exit_codes
def validate(quiz_files: tuple[Path, ...]) -> None:
    """Check each QUIZ against the quiz JSON Schema, then grader's own rules.

    Every schema violation is listed with its line (exit code 2), not only the first.

    \b
    Example:
      grader quiz validate quizzes/*.yaml
    """
    from grader.quiz.schema import validate_quiz

    problems = [problem for path in quiz_files for problem in validate_quiz(path)]
    for problem in problems:
        warn("grader", str(problem))
    if problems:
        sys.exit(Exit.USAGE)
    for path in quiz_files:
        click.echo(f"{path}: ok")


@quiz.command("schema")
@click.option("--out", type=click.Path(path_type=Path), help="Output file (default: stdout).")
def schema(out: Path | None) -> None:
    """Write the JSON Schema of quiz YAML files, generated from grader's models.

    \b
    Example:
      grader quiz schema --out quizzes/quiz.schema.json
    """
    from grader.quiz.schema import quiz_schema

    text = json.dumps(quiz_schema(), ensure_ascii=False, indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        write_text_atomic(out, text)
