"""Use cases on a folder already graded, read from its gradebook; nothing is executed.

`grader report` writes every file again (in another language, say); `grader manual export` and
`grader manual import` hand the manual criteria to an instructor and merge their marks back.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from grader.assignment.load import Assignment
from grader.errors import GraderError
from grader.gradebook.manual import apply_marks, export_manual, read_marks, template_sources
from grader.gradebook.rescore import under_current_rubric
from grader.gradebook.store import Gradebook
from grader.output_tree import write_class_files, write_student_files
from grader.report.i18n import Lang
from grader.results import GradeReport


def rerender(
    out: Path,
    lang: Lang = "fr",
    junit: Path | None = None,
    say: Callable[[str], None] = lambda line: None,
) -> list[GradeReport]:
    """`grader report`: reports and exports again from the stored results; nothing runs.

    Scores are those of the assignment's current rubric: a result graded under another one is
    rescored from its stored check outcomes (and recorded so); `say` hears of it, and of the
    results that only a new `grade` can bring up to date (their checks or data changed)."""
    gradebook = open_gradebook(out)
    try:
        every = []
        for assignment in gradebook.assignments():
            title = gradebook.title(assignment)
            reports = under_current_rubric(gradebook, assignment, say)
            for report in reports:
                write_student_files(out, report, title, lang)
            write_class_files(out, reports, assignment, title, lang, junit)
            every.extend(reports)
        return every
    finally:
        gradebook.close()


def manual_export(out: Path, assignment: Assignment, sheet: Path) -> int:
    """The material of the manual criteria of every graded student, to fill in."""
    gradebook = open_gradebook(out)
    try:
        current = gradebook.current(assignment.id)
    finally:
        gradebook.close()
    sources = template_sources(assignment.root / assignment.spec.notebook)
    return export_manual(current, sources, sheet, assignment.limits)


def manual_import(
    out: Path, assignment: Assignment, sheet: Path, lang: Lang = "fr"
) -> list[GradeReport]:
    """Merge the instructor's marks: a new gradebook row per student marked, files rewritten."""
    marks = read_marks(sheet)
    gradebook = open_gradebook(out)
    try:
        current = gradebook.current(assignment.id)
        updated = apply_marks(sheet, marks, {s: c.report for s, c in current.items()})
        run = gradebook.start_run(assignment.id, 0, "manual", assignment.spec.title)
        for report in updated:
            gradebook.record(run, report, current[report.student].submission)
    finally:
        gradebook.close()
    rerender(out, lang)
    return updated


def open_gradebook(out: Path) -> Gradebook:
    path = out / "gradebook.sqlite"
    if not path.is_file():
        raise GraderError(f"{path}: no gradebook here (grade into this folder first)")
    return Gradebook(path)
