"""tp-rnn: `grader validate` passes, and the example class gets its expected scores.

The checks judge properties of random training runs and of timings on a loaded machine (a
rank correlation, slopes in a band, a probe whose first call is slow), so these scores must
not depend on the grading seed nor on the load: the class is graded once, with a fixed seed,
while `validate` runs beside it.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

import grader
from grader.checks.runner import run_checks
from grader.results import figure_png
from grader.scoring.score import score_rubric
from tests.conftest import (
    ROOT,
    ValidatedAndGraded,
    assert_graded_in_time,
    assert_green,
    assert_told,
    checks_of,
    probed_notebook,
    validate_and_grade,
)
from tests.selfcheck_parity import assert_self_check_agrees

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

ASSIGNMENT = ROOT / "assignments" / "tp-rnn"
SEED = "4"
SUBMISSIONS = ROOT / "examples" / "submissions" / "tp-rnn"
EXPECTED = {
    "alice": 22.0,  # all correct (the 6 points of the analyses are marked by hand)
    "bruno": 20.33,  # times without warm-up: the first, slow call counts in the mean
    "chloe": 19.0,  # a gradient curve typed in from the slides, not computed
    "david": 20.0,  # the label is the last element of the sequence, not the first
    "emma": 20.33,  # slopes fitted on the times, not their logarithm
    "farid": 0.0,  # the released template
    "gaspard": 20.0,  # the gradient taken on the recurrent weights: it does not vanish
    "hugo": 20.0,  # the timing plot on linear axes
    "ines": 20.0,  # the gradient plot draws numbers typed in, not gradient_moyen
}

Runs = ValidatedAndGraded


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    return validate_and_grade(ASSIGNMENT, SUBMISSIONS, tmp_path_factory.mktemp("tp-rnn"), SEED)


def test_validate_passes(runs: Runs) -> None:
    validated = runs[0]
    assert_green(validated, ASSIGNMENT, 22, {"analyse-3": 3, "analyse-7": 3})


def test_examples_get_their_expected_scores_within_a_minute_each(runs: Runs) -> None:
    assert_graded_in_time(runs, EXPECTED, 28.0)


@pytest.mark.parametrize(
    ("student", "check_id", "message_part"),
    [
        ("bruno", "exp7.echauffement", "aucun passage d'échauffement"),
        ("chloe", "exp3.valeurs", "ces nombres ne viennent pas de votre code"),
        ("david", "exp3.sequences", "l'étiquette est le premier élément"),
        ("emma", "exp7.pentes", "`pente_rnn` ="),
        ("gaspard", "exp3.disparition", "la tendance n'est pas décroissante"),
        ("hugo", "exp7.figure", "l'axe x est en échelle « linear », « log » attendue"),
        ("ines", "exp3.figures", "aucune courbe tracée ne correspond aux valeurs"),
        ("farid", "exp3.figures", "le notebook n'a tracé aucune figure"),
    ],
)
def test_each_mistake_is_told(runs: Runs, student: str, check_id: str, message_part: str) -> None:
    assert_told(runs[2], student, check_id, "failed", message_part)


def test_a_failed_figure_check_shows_the_students_plot(runs: Runs) -> None:
    section = checks_of(runs[2], "hugo")["exp7.figure"]["section"]
    assert section["kind"] == "figure" and section["data"]["cell"] == 17
    assert figure_png(section["data"]["png"]) is not None  # the whole PNG, kept in the results
    report = (runs[2] / "reports" / "hugo.html").read_text(encoding="utf-8")
    assert 'src="data:image/png;base64,' in report


def test_five_grading_seeds_give_the_same_score(tmp_path: Path) -> None:
    """alice's notebook run once, its checks run under five seeds: the hidden inputs (training
    seeds, lengths, the probe's passes) change, the verdicts do not."""
    assignment = grader.load_assignment(ASSIGNMENT)
    notebook = nbformat.read(SUBMISSIONS / "alice.ipynb", as_version=4)
    cells = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    scores = set()
    with probed_notebook(tmp_path, cells, assignment.limits, probe_timeout_s=60) as nb:
        for seed in (1, 2, 3, 4, 5):
            results = run_checks(assignment.checks, nb, nb.execution, seed, "alice")
            assert [(r.id, r.message) for r in results if r.outcome.value != "passed"] == [], seed
            scores.add(score_rubric(assignment.rubric, assignment.criterion_checks(), results)[1])
    assert scores == {22.0}


def test_the_notebook_says_what_grading_says(runs: Runs, tmp_path: Path) -> None:
    """What `verifier()` prints in each example's own kernel is what grading said of it."""
    examples = sorted(SUBMISSIONS.glob("*.ipynb"))
    # They quote what the student's code measured: the slope of its timings, the mean it found.
    timed = frozenset({"exp7.pentes", "exp7.echauffement"})
    assert_self_check_agrees(ASSIGNMENT, examples, runs[2], tmp_path, measured=timed)
