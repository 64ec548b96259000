"""`grader similarity OUT`: compare the graded class's notebooks, write similarity.html/.csv.

The class is what OUT's gradebook holds for the assignment: each student's current result
names the submission it graded (a group's members name one: it is compared once, under the
group's name). The released template is rebuilt from the assignment as
`grader release` makes it; the instructor's solution only lowers the weight of what it holds,
and a submission inside the assignment's own folder, or named as the instructor's (examples
graded beside the class), is never compared.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import nbformat

from grader.assignment.load import Assignment, find_assignment
from grader.assignment.release import template_notebook
from grader.errors import GraderError
from grader.gradebook.groups import by_submission, read_groups
from grader.gradebook.store import CurrentResult, Gradebook
from grader.report.i18n import Lang
from grader.report.summary import render_summary
from grader.similarity.compare import Comparison, compare
from grader.similarity.documents import (
    Document,
    Note,
    fingerprint,
    make_template,
    notebook_cells,
    solution_kgrams,
)
from grader.similarity.render import render_similarity, similarity_csv
from grader.submission import read_notebook

PAGE, TABLE = "similarity.html", "similarity.csv"


@dataclass(frozen=True)
class SimilarityResult:
    comparison: Comparison
    notes: list[tuple[str, Note]]  # (student, what was not compared or was cut)
    page: Path

    @property
    def flagged(self) -> list[tuple[str, str]]:
        pairs = self.comparison.pairs
        return [(p.first, p.second) for p in pairs if self.comparison.flagged(p)]


def similarity_report(
    out: Path,
    assignment: Assignment,
    groups: Path | None = None,
    lang: Lang = "fr",
    instructor: Collection[str] = (),
) -> SimilarityResult:
    """Compare every graded submission of `assignment` in `out`; write the page and the CSV.

    `instructor`: graded ids that are the instructor's own notebooks (examples), not compared.
    """
    declared = read_groups(groups).pairs() if groups is not None else set()
    gradebook = _open_gradebook(out)
    try:
        current = gradebook.current(assignment.id)
        title = gradebook.title(assignment.id)
    finally:
        gradebook.close()
    if not current:
        raise GraderError(f"{gradebook.path}: no graded submission of {assignment.id} here")
    # A group's members hold one submission: it is compared once, under the group's name.
    documents, notes = _documents(assignment, by_submission(current), frozenset(instructor))
    solution = solution_kgrams(code_cells(nbformat.read(assignment.source_notebook, 4)))  # type: ignore[no-untyped-call]
    comparison = compare(documents, solution, declared)
    page = render_similarity(comparison, documents, title, notes, lang)
    _write_atomic(out / PAGE, page)
    _write_atomic(out / TABLE, similarity_csv(comparison))
    summary = out / "summary.html"
    if summary.is_file():  # written again with its link, in the language it was written in
        reports = [result.report for result in current.values()]
        page_lang = _summary_lang(summary) or lang
        text = render_summary(reports, assignment.id, title, page_lang, similarity=True)
        _write_atomic(summary, text)
    return SimilarityResult(comparison, notes, out / PAGE)


def graded_assignment(out: Path) -> Path:
    """The folder of the one assignment graded in `out`, from a graded notebook's metadata."""
    gradebook = _open_gradebook(out)
    try:
        graded = gradebook.assignments()
        if len(graded) != 1:
            held = ", ".join(graded) or "no result"
            raise GraderError(f"{gradebook.path}: holds {held}; pass --assignment")
        current = gradebook.current(graded[0])
    finally:
        gradebook.close()
    for student in sorted(current):
        where = current[student].submission
        if where is not None and os.path.lexists(where):
            return find_assignment(where)
    raise GraderError(
        f"{gradebook.path}: no graded notebook of {graded[0]} is left to find the assignment "
        "from; pass --assignment"
    )


def _open_gradebook(out: Path) -> Gradebook:
    path = out / "gradebook.sqlite"
    if not path.is_file():
        raise GraderError(f"{path}: no gradebook here (grade into this folder first)")
    return Gradebook(path)


def _documents(
    assignment: Assignment, current: dict[str, CurrentResult], instructor: frozenset[str]
) -> tuple[list[Document], list[tuple[str, Note]]]:
    template = make_template(code_cells(template_notebook(assignment)))
    root = assignment.root.resolve()
    documents: list[Document] = []
    notes: list[tuple[str, Note]] = []
    for student in sorted(current):
        where = current[student].submission
        if where is None:
            notes.append((student, Note("unknown")))
            continue
        if student in instructor or Path(os.path.realpath(where)).is_relative_to(root):
            notes.append((student, Note("instructor")))
            continue
        found = read_notebook(where, assignment.limits)
        if found.content is None:
            notes.append((student, Note("unread", (("problem", found.problem),))))
            continue
        cells, cut = notebook_cells(found.content)
        if not cells:
            notes += [(student, note) for note in cut or [Note("no-code")]]
            continue
        document = fingerprint(student, cells, template)
        notes += [(student, note) for note in (*cut, *document.notes)]
        documents.append(document)
    return documents, notes


def code_cells(notebook: nbformat.NotebookNode) -> list[str]:
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def _summary_lang(summary: Path) -> Lang | None:
    with summary.open("rb") as page:
        found = re.search(rb'<html lang="(fr|en)">', page.read(512))
    return ("fr" if found.group(1) == b"fr" else "en") if found else None


def _write_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
