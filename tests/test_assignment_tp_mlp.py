"""tp-mlp (Expériences 1 and 2): `grader validate` passes, the example class gets its expected
scores, each mistake fails where it should, and scores do not depend on the grading seed."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

import grader
from grader.checks.runner import run_checks
from grader.scoring.score import score_rubric
from tests.conftest import (
    ROOT,
    assert_green,
    checks_of,
    gradebook_rows,
    grader_command,
    probed_notebook,
)
from tests.selfcheck_parity import assert_self_check_agrees

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

ASSIGNMENT = ROOT / "assignments" / "tp-mlp"
SUBMISSIONS = ROOT / "examples" / "submissions" / "tp-mlp"
EXPECTED = {
    "alice": 18.0,  # all correct (the 2 points of the analysis paragraphs are marked by hand)
    "bruno": 13.0,  # validation loss and accuracy computed on the training set
    "chloe": 15.0,  # dropout left active at evaluation (no model.eval())
    "david": 12.0,  # learning curves without legend nor axis names, boundaries without contour
    "emma": 16.0,  # learning curves typed in by hand, not what her code computes
    "farid": 0.0,  # the released template, untouched
}


def test_validate_passes() -> None:
    completed = grader_command("validate", str(ASSIGNMENT), "--format", "json")
    assert_green(completed, ASSIGNMENT, 18, {"analyse-experience-1": 1, "analyse-experience-2": 1})


def grade(out: Path, seed: str, *students: str) -> dict[str, float]:
    notebooks = [str(SUBMISSIONS / f"{student}.ipynb") for student in students]
    completed = grader_command(
        "grade", str(ASSIGNMENT), *notebooks, "--out", str(out), "-j", "2", "--seed", seed
    )
    assert completed.returncode in (0, 1), completed.stdout + completed.stderr
    return {row["student"]: float(row["score"]) for row in gradebook_rows(out)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tp-mlp")
    assert grade(out, "4", *EXPECTED) == EXPECTED
    return out


def test_examples_get_their_expected_scores(graded: Path) -> None:
    assert {float(row["max_score"]) for row in gradebook_rows(graded)} == {20.0}


@pytest.mark.parametrize(
    ("student", "failed"),
    [
        ("alice", set()),
        ("bruno", {"exp1.tendances", "exp1.validation"}),
        ("chloe", {"mlp.evaluation"}),
        ("david", {"exp1.courbes", "exp1.coherence", "exp2.figures"}),
        ("emma", {"exp1.coherence"}),
    ],
)
def test_each_mistake_fails_where_it_should(graded: Path, student: str, failed: set[str]) -> None:
    checks = checks_of(graded, student)
    assert {check_id for check_id, c in checks.items() if c["outcome"] != "passed"} == failed


def test_the_messages_say_what_is_wrong(graded: Path) -> None:
    assert checks_of(graded, "emma")["exp1.coherence"]["message"].startswith(
        "validation, n = 100 : aucune courbe tracée ne correspond aux valeurs que votre code calcule"
    )
    assert checks_of(graded, "david")["exp2.figures"]["message"] == (
        "Expérience 2, frontières de décision : le graphique ne trace pas de contour "
        "(la frontière de décision)"
    )
    assert "le dropout doit être coupé" in checks_of(graded, "chloe")["mlp.evaluation"]["message"]


def test_a_failed_figure_check_shows_the_students_plot(graded: Path) -> None:
    section = checks_of(graded, "david")["exp2.figures"]["section"]
    assert section["kind"] == "figure" and section["data"]["cell"] == 13
    report = (graded / "reports" / "david.html").read_text()
    assert 'alt="votre figure (cellule 14)"' in report


@pytest.mark.parametrize("student", ["alice", "bruno"])
def test_the_same_score_under_five_grading_seeds(tmp_path: Path, student: str) -> None:
    """The hidden checks draw their data and seeds from the grading seed: honest randomness
    never moves a score (the right answer, and the mistake the properties catch). The notebook
    runs once, its checks under five seeds."""
    assignment = grader.load_assignment(ASSIGNMENT)
    notebook = nbformat.read(SUBMISSIONS / f"{student}.ipynb", as_version=4)
    cells = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    scores = set()
    with probed_notebook(tmp_path, cells, assignment.limits, probe_timeout_s=60) as nb:
        for seed in (11, 22, 33, 44, 55):
            results = run_checks(assignment.checks, nb, nb.execution, seed, student)
            scores.add(score_rubric(assignment.rubric, assignment.criterion_checks(), results)[1])
    assert scores == {EXPECTED[student]}


def test_the_notebook_says_what_grading_says(graded: Path, tmp_path: Path) -> None:
    """What `verifier()` prints in each example's own kernel is what grading said of it."""
    examples = sorted(SUBMISSIONS.glob("*.ipynb"))
    assert_self_check_agrees(ASSIGNMENT, examples, graded, tmp_path)
