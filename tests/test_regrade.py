"""A grade follows what determines it: between runs of `grader grade`, a rubric edit rescores
the stored outcomes (nothing runs), a check or a data file edit grades again, and one line says
which and why; a check that raises costs the students nothing and is the exit code's news.

A small course built here (no torch), graded by the real CLI with real kernels in bwrap boxes.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import IN_BWRAP_BOXES, checks_of, gradebook_rows, grader_command, write_course
from tests.test_batch_resume import notebook

pytestmark = [*IN_BWRAP_BOXES, pytest.mark.slow]

CHECKS = """
from pathlib import Path

from grader.checks import check, expect

DATA = Path(__file__).parent / "valeurs.txt"


@check("somme.total")
def total(nb, rng):
    expected = sum(float(x) for x in DATA.read_text().split())
    expect.close(nb.get("total"), expected, what="total")


@check("somme.double")
def double(nb, rng):
    expect.close(nb.call("double", 3.0), 6.0, what="double(3)")
"""

RUBRIC = """\
  - {id: somme, title: "Somme du fichier", points: 2, checks: ["somme.total"]}
  - {id: double, title: "Double", points: 2, checks: ["somme.double"]}
"""

READS_THE_FILE = 'total = sum(float(x) for x in open("valeurs.txt").read().split())'
DOUBLE = "def double(x):\n    return 2 * x"


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], Path]:
    root = tmp_path_factory.mktemp("regrade")
    spec = 'title: "TP fichier"\ndata: [valeurs.txt]\nlimits:\n  cell_timeout: 60\n'
    folder = write_course(
        root, "tp-fichier", spec, CHECKS, notebook("## Somme", "total = 0"), RUBRIC
    )
    (folder / "valeurs.txt").write_text("1 2 3\n")
    submissions = root / "submissions"
    submissions.mkdir()
    for student, code in (("alice", READS_THE_FILE), ("bob", "total = 6.0")):
        path = submissions / f"{student}.ipynb"
        path.write_text(json.dumps(notebook("## Somme", code, DOUBLE)))
    return folder, sorted(submissions.glob("*.ipynb")), root / "out"


def grade(course: tuple[Path, list[Path], Path], *extra: str) -> subprocess.CompletedProcess[str]:
    folder, submissions, out = course
    return grader_command("grade", str(folder), *map(str, submissions), "--out", str(out), *extra)


def scores(out: Path) -> dict[str, float]:
    return {row["student"]: float(row["score"]) for row in gradebook_rows(out)}


def since_last_run(completed: subprocess.CompletedProcess[str]) -> list[str]:
    output = completed.stdout + completed.stderr
    return [line for line in output.splitlines() if "since the last run" in line]


def test_each_edit_between_runs_rescores_or_regrades_what_it_affects(
    course: tuple[Path, list[Path], Path],
) -> None:
    folder, _, out = course
    rubric = folder.parent.parent / "rubrics" / "tp-fichier.yaml"
    first = grade(course)
    assert first.returncode == 0, first.stdout + first.stderr
    assert scores(out) == {"alice": 4.0, "bob": 4.0} and not since_last_run(first)
    graded_at = json.loads((out / "results" / "alice.json").read_text())["graded_at"]

    unchanged = grade(course)
    assert "0 submission(s) to grade" in unchanged.stdout and not since_last_run(unchanged)

    # The rubric alone: rescored from the stored outcomes, nothing executed.
    rubric.write_text(
        rubric.read_text().replace(
            'points: 2, checks: ["somme.total"]', 'points: 6, checks: ["somme.total"]'
        )
    )
    rescored = grade(course)
    assert since_last_run(rescored) == [
        "grader: since the last run: 2 rescored from their stored check outcomes: the rubric "
        "changed (nothing runs)"
    ]
    assert "0 submission(s) to grade" in rescored.stdout
    assert scores(out) == {"alice": 8.0, "bob": 8.0}
    alice = json.loads((out / "results" / "alice.json").read_text())
    assert alice["graded_at"] == graded_at and alice["max_score"] == 8

    # The data file: graded again, and bob's hard-coded total is now wrong.
    (folder / "valeurs.txt").write_text("1 2 3 4\n")
    regraded = grade(course)
    assert since_last_run(regraded) == [
        "grader: since the last run: 2 graded again: the data files changed (2)"
    ]
    assert "2 submission(s) to grade" in regraded.stdout
    assert scores(out) == {"alice": 8.0, "bob": 2.0}


def test_a_check_that_raises_holds_points_back_and_says_so(
    course: tuple[Path, list[Path], Path],
) -> None:
    folder, _, out = course
    checks = folder / "checks.py"
    checks.write_text(checks.read_text().replace("6.0, what=", "6.0 + {}, what="))
    completed = grade(course, "--format", "json")
    assert completed.returncode == 4, completed.stderr
    assert since_last_run(completed) == [
        "grader: since the last run: 2 graded again: checks.py changed (2)"
    ]
    summary = {row["student"]: row for row in json.loads(completed.stdout)}
    assert summary["alice"]["check_errors"] == ["somme.double"]
    assert summary["alice"]["held_back"] == 2 and summary["alice"]["score"] == 6.0
    assert "grader: 1 check(s) raised in their own code" in completed.stderr
    assert "  somme.double: 2 student(s): alice, bob" in completed.stderr
    assert "TypeError: unsupported operand type(s) for +: 'float' and 'dict'" in completed.stderr
    double = checks_of(out, "alice")["somme.double"]
    assert double["outcome"] == "check-error" and "aucun point n'est perdu" in double["message"]
    report = (out / "reports" / "alice.html").read_text()
    assert "2 point(s) réservé(s)" in report and "à revoir" in report
    summary_html = (out / "summary.html").read_text()
    assert "Vérifications à revoir" in summary_html and "TypeError" in summary_html

    # `grader report` shows the current rubric's scores without running anything.
    rubric = folder.parent.parent / "rubrics" / "tp-fichier.yaml"
    rubric.write_text(rubric.read_text().replace("points: 6,", "points: 10,"))
    reported = grader_command("report", str(out))
    assert reported.returncode == 0, reported.stderr
    assert "tp-fichier: 2 result(s) rescored under the current rubric" in reported.stdout
    assert scores(out) == {"alice": 10.0, "bob": 0.0}
