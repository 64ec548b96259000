"""tp-tokenisation: `grader validate` passes, and the example class gets its expected scores.

The notebooks load "gpt2" and MiniLM from an offline mirror built once for the session, in a
tmp folder; the hidden inputs come from a fixed seed so that the scores are reproducible.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT, assert_green, checks_of, class_scores, grader_command
from tests.selfcheck_parity import assert_self_check_agrees

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

ASSIGNMENT = ROOT / "assignments" / "tp-tokenisation"
SUBMISSIONS = ROOT / "examples" / "submissions" / "tp-tokenisation"
SEED = "4"  # hidden inputs drawn from a fixed seed: reproducible scores
EXPECTED = {
    "alice": 18.0,  # all correct (the 2 points of the question are marked by hand)
    "bruno": 13.5,  # BPE ties broken towards the smallest pair
    "chloe": 10.5,  # pair counts ignore word frequencies; tokens counted word by word; [CLS]
    "david": 8.25,  # each merge applied to its first occurrence only; cosine without the norms
}


def test_validate_passes(course_mirror: Path) -> None:
    completed = grader_command(
        "validate", str(ASSIGNMENT), "--mirror", str(course_mirror), "--format", "json"
    )
    assert_green(completed, ASSIGNMENT, 18, {"commentaire": 2})
    assert "sandbox: bwrap" in completed.stderr


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory, course_mirror: Path) -> Path:
    out = tmp_path_factory.mktemp("tp-tokenisation")
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
        ("bruno", "bpe.egalites", "failed"),
        ("bruno", "tokenize.exemple", "passed"),
        ("chloe", "bpe.exemple", "failed"),
        ("chloe", "bpe.egalites", "passed"),  # every word once: frequencies do not matter
        ("david", "tokenize.aleatoire", "failed"),
        ("david", "cosinus.exemple", "failed"),
        ("david", "embeddings.minilm", "passed"),
        ("chloe", "experience5.statistiques", "failed"),
        ("chloe", "embeddings.minilm", "failed"),
        ("chloe", "gpt2.phrase", "passed"),
        ("david", "wordpiece.mot", "passed"),
    ],
)
def test_each_mistake_fails_where_it_should(
    graded: Path, student: str, check_id: str, outcome: str
) -> None:
    outcomes = {check_id: c["outcome"] for check_id, c in checks_of(graded, student).items()}
    assert outcomes[check_id] == outcome


def test_the_data_file_reaches_the_kernel(graded: Path) -> None:
    execution = json.loads((graded / "results" / "alice.json").read_text())["execution"]
    assert execution["status"] == "ok"
    assert [cell["status"] for cell in execution["cells"]] == ["ok"] * len(execution["cells"])


def test_the_notebook_says_what_grading_says(
    graded: Path, tmp_path: Path, course_mirror: Path
) -> None:
    """What `verifier()` prints in each example's own kernel is what grading said of it."""
    examples = sorted(SUBMISSIONS.glob("*.ipynb"))
    assert_self_check_agrees(ASSIGNMENT, examples, graded, tmp_path, course_mirror)
