"""tp-perplexite: `grader validate` passes, and the example class gets its expected scores."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT, assert_green, checks_of, class_scores, grader_command

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

ASSIGNMENT = ROOT / "assignments" / "tp-perplexite"
SEED = "4"  # hidden inputs drawn from a fixed seed: reproducible scores
SUBMISSIONS = ROOT / "examples" / "submissions" / "tp-perplexite"
EXPECTED = {
    "alice": 18.0,  # all correct (the 2 points of the questions are marked by hand)
    "bruno": 9.0,  # no </s>: the end of a sentence is never predicted
    "chloe": 9.0,  # entropy in bits instead of nats
    "david": 14.67,  # 0 log 0 not handled: NaN on distributions with a zero
    "emma": 15.67,  # smoothing hard-coded to k = 1: right on the example only
    "farid": 14.0,  # Expérience 9 forgets to divide the logits by T
}


def test_validate_passes() -> None:
    completed = grader_command("validate", str(ASSIGNMENT), "--format", "json")
    assert_green(completed, ASSIGNMENT, 18, {"commentaires": 2})
    assert "sandbox: bwrap" in completed.stderr


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tp-perplexite")
    notebooks = sorted(str(p) for p in SUBMISSIONS.glob("*.ipynb"))
    completed = grader_command(
        "grade", str(ASSIGNMENT), *notebooks, "--out", str(out), "-j", "2", "--seed", SEED
    )
    assert completed.returncode == 1, completed.stdout + completed.stderr  # some checks fail
    return out


def test_examples_get_their_expected_scores(graded: Path) -> None:
    assert class_scores(graded) == (EXPECTED, {20.0})


@pytest.mark.parametrize(
    ("student", "check_id", "outcome"),
    [
        ("bruno", "trigram.exemple", "failed"),
        ("chloe", "entropie.exemple", "failed"),
        ("david", "entropie.zeros", "failed"),
        ("david", "entropie.exemple", "passed"),
        ("emma", "trigram.exemple", "passed"),
        ("emma", "trigram.lissage", "failed"),
        ("farid", "experience9.temperatures", "failed"),
    ],
)
def test_each_mistake_fails_where_it_should(
    graded: Path, student: str, check_id: str, outcome: str
) -> None:
    outcomes = {check_id: c["outcome"] for check_id, c in checks_of(graded, student).items()}
    assert outcomes[check_id] == outcome
