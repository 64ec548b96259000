"""One verdict, whatever the road: what `verifier()` prints in an example's own kernel against
the public lines of the graded report of the same example.

Each assignment's test module grades its example class once (its `graded` fixture); this runs
each example once more, as a student's Jupyter would: the released loading cell first, the
example's cells, `verifier()` last, in a plain kernel (no sandbox: the kernel imports grader)
in a working folder staged as grading stages it (the data files, the student's files, the
offline models). `grader check` is grading with the public checks only (grader.api's
check_notebook); tests/test_selfcheck_parity.py runs all three roads on tp-perplexite.

A check that reads the saved notebook (how the cells ran, their outputs, the markdown, the PDF)
has nothing to read in a live kernel: there, its line must say to run `grader check`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

from grader.assignment.load import Assignment, load_assignment
from grader.assignment.release import release
from grader.assignment.self_check_cells import without_self_check
from grader.grading import _prepare_workdir, find_submission
from grader.messages import say
from grader.report.check_lines import check_line
from grader.results import report_from_dict
from grader.sandbox.boxes import kernel_environment
from grader.submission import read_notebook
from tests.conftest import ROOT
from tests.test_selfcheck import printed

SAVED_ONLY = say("selfcheck.saved_notebook_only").text()
HIDDEN = say("check.hidden_skipped").text()
NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


def assert_self_check_agrees(
    assignment_root: Path,
    examples: Sequence[Path],
    graded: Path,
    scratch: Path,
    mirror: Path | None = None,
    measured: frozenset[str] = frozenset(),
) -> None:
    """For each example graded into `graded`: what `verifier()` prints in its own kernel, line
    for line against the public lines of its graded report. The messages of the `measured`
    checks quote what the student's code timed: their numbers may differ from run to run."""
    assignment = load_assignment(assignment_root)
    assert mirror is not None or not assignment.spec.models, "its models need the course mirror"
    released = load_assignment(release(assignment, scratch / "released"))
    loading = nbformat.read(released.source_notebook, as_version=4).cells[0]
    assert examples
    for example in examples:
        student = find_submission(example).student
        shown = in_notebook_lines(assignment, loading, example, scratch / student, mirror)
        graded_lines = graded_public_lines(graded, student)
        assert_the_notebook_says_what_grading_says(shown, graded_lines, student, measured)


def in_notebook_lines(
    assignment: Assignment,
    loading: nbformat.NotebookNode,
    example: Path,
    scratch: Path,
    mirror: Path | None,
) -> list[str]:
    """What `verifier()` printed at the end of `example` (a notebook or a pair's folder) run
    after the `loading` cell, its title and indicative total left out."""
    submission = find_submission(example)
    handed_in = read_notebook(example, assignment.limits).content
    assert handed_in is not None, example
    notebook = without_self_check(nbformat.reads(handed_in.decode(), as_version=4))
    notebook.cells = [loading, *notebook.cells, new_code_cell("verifier()")]
    workdir = scratch / "work"
    workdir.mkdir(parents=True)
    _prepare_workdir(assignment, submission, workdir, assignment.limits)
    environment = kernel_environment(workdir, assignment.limits, mirror)
    client = NotebookClient(
        notebook,
        timeout=assignment.limits.cell_timeout_s,  # then interrupted, as a student would
        interrupt_on_timeout=True,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(workdir)}},
        shutdown_kernel="immediate",  # what it printed is all that is read
    )
    client.execute(env={**environment, "PYTHONPATH": str(ROOT)})
    printed(notebook.cells[0])  # the loading cell raised nothing
    return printed(notebook.cells[-1])[1:-1]


def graded_public_lines(graded: Path, student: str) -> list[str]:
    """The public checks' lines of a student's graded report, hidden checks left out."""
    data = json.loads((graded / "results" / f"{student}.json").read_text())
    return [check_line(r) for r in report_from_dict(data).checks if not r.hidden]


def assert_the_notebook_says_what_grading_says(
    in_notebook: list[str], graded: list[str], student: str, measured: frozenset[str]
) -> None:
    """The same public checks, each with the same line (mark, id, message), but for a check
    that reads the saved notebook, which says so in the notebook; hidden checks are named."""
    shown = [line for line in in_notebook if not line.endswith(HIDDEN)]
    graded_by_id = {_check_id(line): line for line in graded}
    assert sorted(map(_check_id, shown)) == sorted(graded_by_id), (student, shown, graded)

    def same(line: str, other: str) -> bool:
        if _check_id(line) in measured:
            return NUMBER.sub("#", line) == NUMBER.sub("#", other)
        return line == other

    differ = [
        (line, graded_by_id[_check_id(line)])
        for line in shown
        if not line.endswith(SAVED_ONLY) and not same(line, graded_by_id[_check_id(line)])
    ]
    assert differ == [], (student, differ)


def _check_id(line: str) -> str:
    """`  ✓ softmax.exemple : correct` -> softmax.exemple"""
    return line[4:].split(" : ", 1)[0]
