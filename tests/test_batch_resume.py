"""A batch killed with SIGKILL and restarted: one current result per student, nothing lost.

A small course built here (no torch, one short sleep per notebook so that the kill lands in
the middle), graded by the real CLI in a subprocess with real kernels.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.assignment.load import load_assignment
from grader.grading import GradeOptions
from grader.output_tree import OutputTree
from tests.conftest import ROOT, write_course
from tests.report_builders import make_report

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

STUDENTS = [f"s{i:02d}" for i in range(1, 7)]

CHECKS = """
import numpy as np
from grader.checks import check, expect
from grader.checks.api import CheckFailed
from grader.report.sections import array_comparison

@check("somme.total")
def total(nb, rng):
    expect.close(nb.get("total"), 6.0, what="total")

@check("somme.poids", hidden=True)
def weights(nb, rng):
    got = np.asarray(nb.get("poids"), dtype=float)
    expected = np.array([[0.5, 0.5], [0.25, 0.75]])
    if got.shape != expected.shape or not np.allclose(got, expected):
        raise CheckFailed("poids faux", section=array_comparison(got, expected, "poids"))
"""


def make_course(root: Path, late: str = "") -> Path:
    """assignments/tp-mini (two checks, a manual criterion) and its rubric."""
    spec = """\
title: "TP mini : sommes et poids"
limits:
  cell_timeout: 20
  notebook_timeout: 60
"""
    criteria = """\
  - {id: somme, title: "Somme", points: 4, checks: ["somme.total"]}
  - {id: poids, title: "Poids", points: 2, checks: ["somme.poids"]}
  - {id: analyse, title: "Analyse rédigée", points: 4, manual: true}
"""
    template = notebook("## Question 1 : calculez la somme.", "total = None")
    return write_course(root, "tp-mini", spec + late, CHECKS, template, criteria)


def notebook(markdown: str, *code: str) -> nbformat.NotebookNode:
    cells = [new_markdown_cell(markdown), *(new_code_cell(source) for source in code)]
    book = new_notebook(cells=cells)
    book.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return book


def make_class(folder: Path, sleep: float = 0.0) -> list[Path]:
    """Six students: even ones right, odd ones wrong; each writes a sentence of analysis."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, student in enumerate(STUDENTS):
        total = "6.0" if number % 2 == 0 else "5.0"
        path = folder / f"{student}.ipynb"
        nbformat.write(
            notebook(
                "## Question 1 : calculez la somme.",
                f"import time\ntime.sleep({sleep})\ntotal = {total}",
                "poids = [[0.5, 0.5], [0.25, 0.75]]",
            ),
            path,
        )
        book = nbformat.read(path, as_version=4)
        book.cells.append(new_markdown_cell(f"Mon analyse ({student}) : la somme vaut {total}."))
        nbformat.write(book, path)
        paths.append(path)
    return paths


def grade_command(assignment: Path, submissions: list[Path], out: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "grader", "grade", str(assignment), *map(str, submissions),
        "--out", str(out), "-j", "1", "--sandbox", "none", "--unsafe-no-sandbox",
        "--seed", "7", *extra,
    ]  # fmt: skip


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def stored_rows(out: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        return [
            (str(r[0]), str(r[1]))
            for r in db.execute("SELECT student, submission_hash FROM results")
        ]


def count_rows(out: Path) -> int:
    try:
        with sqlite3.connect(f"file:{out / 'gradebook.sqlite'}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT COUNT(*) FROM results").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet, or its schema not yet written
        return 0


def test_sigkill_in_the_middle_then_restart_loses_nothing(tmp_path: Path) -> None:
    assignment = make_course(tmp_path / "course")
    submissions = make_class(tmp_path / "class", sleep=1.0)
    out = tmp_path / "out"
    command = grade_command(assignment, submissions, out)
    batch = subprocess.Popen(
        command, cwd=tmp_path, env=environment(), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while count_rows(out) < 2:
        assert batch.poll() is None, batch.stderr.read() if batch.stderr else ""
        assert time.monotonic() < deadline, "the batch graded nothing in 120 s"
        time.sleep(0.05)
    os.killpg(batch.pid, signal.SIGKILL)  # the grader and its kernels, mid-batch
    batch.wait()
    killed_at = stored_rows(out)
    assert 2 <= len(killed_at) < len(STUDENTS), "the kill should land mid-batch"

    again = subprocess.run([*command, "--format", "json"], cwd=tmp_path, env=environment(),
                           capture_output=True, text=True, timeout=300)  # fmt: skip
    assert again.returncode == 1, again.stderr  # odd students fail a check

    rows = stored_rows(out)
    assert sorted(s for s, _ in rows) == STUDENTS  # exactly one row each: none lost, none twice
    assert set(killed_at) <= set(rows)  # results committed before the kill were kept, not redone
    summary = json.loads(again.stdout)
    assert sorted(r["student"] for r in summary) == STUDENTS
    with open(out / "gradebook.csv", newline="") as handle:
        scores = {row["student"]: float(row["score"]) for row in csv.DictReader(handle)}
    assert scores == {s: (6.0 if i % 2 == 0 else 2.0) for i, s in enumerate(STUDENTS)}
    for student in STUDENTS:
        assert (out / "results" / f"{student}.json").is_file()
        assert (out / "reports" / f"{student}.html").is_file()


def test_unchanged_submissions_are_skipped_force_regrades_and_history_is_kept(
    tmp_path: Path,
) -> None:
    assignment = make_course(tmp_path / "course")
    submissions = make_class(tmp_path / "class")[:2]
    out = tmp_path / "out"
    first = subprocess.run(grade_command(assignment, submissions, out), env=environment(),
                           capture_output=True, text=True, timeout=300)  # fmt: skip
    assert first.returncode == 1, first.stderr
    assert "s01" in first.stdout and "s02" in first.stdout

    book = nbformat.read(submissions[1], as_version=4)  # s02 fixes the answer
    book.cells[1].source = book.cells[1].source.replace("5.0", "6.0")
    nbformat.write(book, submissions[1])
    second = subprocess.run(grade_command(assignment, submissions, out), env=environment(),
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert "1 unchanged submission(s) already graded" in second.stdout
    assert [s for s, _ in stored_rows(out)] == ["s01", "s02", "s02"]

    forced = subprocess.run(grade_command(assignment, submissions, out, "--force"),
                            env=environment(), capture_output=True, text=True, timeout=300)  # fmt: skip
    assert forced.returncode == 0, forced.stderr
    assert sorted(s for s, _ in stored_rows(out)) == ["s01", "s01", "s02", "s02", "s02"]
    with open(out / "gradebook.csv", newline="") as handle:
        assert [row["score"] for row in csv.DictReader(handle)] == ["6.0", "6.0"]


def test_a_student_whose_files_cannot_be_written_never_stops_the_class(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "results" / "bruno.json").mkdir(parents=True)  # bruno's result cannot be written
    assignment = load_assignment(make_course(tmp_path / "course"))
    tree = OutputTree(out, assignment, GradeOptions(seed=1))
    for student in ("bruno", "alice"):
        assert tree.add(make_report(student)).student == student
    assert [crash.student for crash in tree.failed] == ["bruno"]
    assert "IsADirectoryError" in tree.failed[0].traceback
    tree.finish(junit=out / "junit.xml")
    assert (out / "results" / "alice.json").is_file() and (out / "reports" / "alice.html").is_file()
    with open(out / "gradebook.csv", newline="") as handle:
        assert [row["student"] for row in csv.DictReader(handle)] == ["alice", "bruno"]
    for name in ("summary.html", "moodle.csv", "gradebook.json", "junit.xml"):
        assert (out / name).is_file()
