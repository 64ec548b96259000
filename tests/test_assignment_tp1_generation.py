"""tp1-generation through the CLI: `grader validate` is green, the examples get their scores."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, assert_told, checks_of, gradebook_rows
from tests.selfcheck_parity import assert_self_check_agrees

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

ASSIGNMENT = ROOT / "assignments" / "tp1-generation"
SUBMISSIONS = ROOT / "examples" / "submissions" / "tp1-generation"
EXPECTED = {
    "anna": 16.0,  # all correct; the comment (4 points) is marked by hand
    "basile": 14.0,  # no seed: the same call samples a different text each time
    "camille": 10.0,  # max_length read as the number of new tokens
    "damien": 9.0,  # two kinds of prompt, parameters not varied, no comment
}

Runs = tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str], Path]


@pytest.fixture(scope="module")
def runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> Runs:
    """`validate` and `grade` side by side (they share the machine's two cores)."""
    out = tmp_path_factory.mktemp("tp1-generation")
    grader = [sys.executable, "-m", "grader"]
    validate = subprocess.Popen(
        [*grader, "validate", str(ASSIGNMENT)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    submissions = sorted(str(p) for p in SUBMISSIONS.glob("*.ipynb"))
    grade = subprocess.run(
        [*grader, "grade", str(ASSIGNMENT), *submissions, "--out", str(out), "-j", "1"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    stdout, stderr = validate.communicate(timeout=600)
    validated = subprocess.CompletedProcess(validate.args, validate.returncode, stdout, stderr)
    return validated, grade, out


def _result(out: Path, student: str) -> dict[str, Any]:
    return json.loads((out / "results" / f"{student}.json").read_text())


def test_validate_is_green(runs: Runs) -> None:
    validated = runs[0]
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "tp1-generation: valid" in validated.stdout


def test_examples_get_their_expected_scores(runs: Runs) -> None:
    _, graded, out = runs
    assert graded.returncode == 1, graded.stderr
    rows = gradebook_rows(out)
    assert {row["student"]: float(row["score"]) for row in rows} == EXPECTED
    assert {row["student"]: float(row["max_score"]) for row in rows} == dict.fromkeys(
        EXPECTED, 20.0
    )


@pytest.mark.parametrize(
    ("student", "check_id", "outcome", "message_part"),
    [
        ("basile", "gen.graine", "failed", "la même graine donne deux textes différents"),
        ("camille", "gen.glouton", "failed", "diffère du décodage glouton de référence"),
        ("camille", "gen.resultats", "failed", "plus que max_length=30"),
        ("damien", "gen.prompts", "failed", "il manque les clés 'instruction'"),
        ("damien", "gen.configurations", "failed", "au moins 3 attendues"),
    ],
)
def test_each_mistake_is_told(
    runs: Runs,
    student: str,
    check_id: str,
    outcome: str,
    message_part: str,
) -> None:
    assert_told(runs[2], student, check_id, outcome, message_part)


def test_hidden_failures_show_no_expected_length(runs: Runs) -> None:
    check = checks_of(runs[2], "camille")["gen.glouton"]
    assert "jetons au lieu de" not in check["message"]
    assert "jetons au lieu de" in check["detail"]


def test_the_comment_is_shown_to_the_instructor(runs: Runs) -> None:
    out = runs[2]
    anna = _result(out, "anna")
    manual = [c for c in anna["criteria"] if c["manual"]]
    assert [c["id"] for c in manual] == ["commentaire"]
    html = (out / "reports" / "anna.html").read_text()
    assert "Commentaire (à noter par l" in html
    assert "une température haute aplatit la distribution" in html
    assert "une température haute aplatit" not in (out / "reports" / "damien.html").read_text()


def test_the_notebook_says_what_grading_says(
    runs: Runs, tmp_path: Path, course_mirror: Path
) -> None:
    """What `verifier()` prints in each example's own kernel is what grading said of it."""
    examples = sorted(SUBMISSIONS.glob("*.ipynb"))
    assert_self_check_agrees(ASSIGNMENT, examples, runs[2], tmp_path, course_mirror)
