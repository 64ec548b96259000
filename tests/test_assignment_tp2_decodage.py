"""tp2-decodage: `grader validate` passes, and the example class gets its expected scores.

The notebooks load "gpt2" from an offline mirror built once for the session, in a tmp folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT, assert_green, checks_of, class_scores, grader_command
from tests.selfcheck_parity import assert_self_check_agrees

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

ASSIGNMENT = ROOT / "assignments" / "tp2-decodage"
SEED = "4"  # hidden inputs drawn from a fixed seed: reproducible scores
SUBMISSIONS = ROOT / "examples" / "submissions" / "tp2-decodage"
EXPECTED = {
    "alice": 18.0,  # all correct (the 2 points of the comment are marked by hand)
    "bruno": 15.67,  # top-k drops ties at the k-th value; greedy through model.generate
    "chloe": 14.67,  # top-p drops the token that crosses the threshold
    "david": 9.0,  # logits * T; greedy returns the continuation only; no top-p rows
}


def test_validate_passes(course_mirror: Path) -> None:
    completed = grader_command(
        "validate", str(ASSIGNMENT), "--mirror", str(course_mirror), "--format", "json"
    )
    assert_green(completed, ASSIGNMENT, 18, {"commentaire": 2})
    assert "sandbox: bwrap" in completed.stderr


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory, course_mirror: Path) -> Path:
    out = tmp_path_factory.mktemp("tp2-decodage")
    notebooks = sorted(str(p) for p in SUBMISSIONS.glob("*.ipynb"))
    completed = grader_command(
        "grade", str(ASSIGNMENT), *notebooks, "--out", str(out), "-j", "2",
        "--mirror", str(course_mirror), "--seed", SEED,
    )  # fmt: skip
    assert completed.returncode == 1, completed.stdout + completed.stderr  # some checks fail
    return out


def test_examples_get_their_expected_scores(graded: Path) -> None:
    assert class_scores(graded) == (EXPECTED, {20.0})


@pytest.mark.parametrize(
    ("student", "check_id", "outcome"),
    [
        ("bruno", "topk.exemple", "passed"),
        ("bruno", "topk.egalites", "failed"),
        ("chloe", "topp.exemple", "failed"),
        ("chloe", "topp.minimum", "passed"),
        ("david", "temperature.exemple", "failed"),
        ("david", "glouton.exemple", "failed"),
        ("david", "tableau.strategies", "failed"),
        ("bruno", "glouton.aleatoire", "passed"),
        ("bruno", "glouton.implementation", "failed"),
    ],
)
def test_each_mistake_fails_where_it_should(
    graded: Path, student: str, check_id: str, outcome: str
) -> None:
    outcomes = {check_id: c["outcome"] for check_id, c in checks_of(graded, student).items()}
    assert outcomes[check_id] == outcome


def test_hidden_failures_keep_the_reference_text_secret(graded: Path) -> None:
    result = json.loads((graded / "results" / "david.json").read_text())
    hidden = next(
        c for crit in result["criteria"] for c in crit["checks"] if c["id"] == "glouton.aleatoire"
    )
    assert hidden["hidden"] and hidden["outcome"] == "failed"
    assert "attendu" not in hidden["message"]


def test_the_notebook_says_what_grading_says(
    graded: Path, tmp_path: Path, course_mirror: Path
) -> None:
    """What `verifier()` prints in each example's own kernel is what grading said of it."""
    examples = sorted(SUBMISSIONS.glob("*.ipynb"))
    assert_self_check_agrees(ASSIGNMENT, examples, graded, tmp_path, course_mirror)
