"""tp-classification: `grader validate` passes, the example class gets its expected scores,
and the test labels never reach a student: not in the released bundle, not in a kernel."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.results import Outcome
from tests.conftest import (
    ROOT,
    ValidatedAndGraded,
    assert_graded_in_time,
    assert_green,
    assert_told,
    checks_of,
    grade_in_bwrap,
    grader_command,
    in_bwrap_boxes,
    validate_and_grade,
    write_notebook,
)
from tests.selfcheck_parity import assert_self_check_agrees

ASSIGNMENT = ROOT / "assignments" / "tp-classification"
SEED = "4"
SUBMISSIONS = ROOT / "examples" / "submissions" / "tp-classification"
EXPECTED = {
    "alice": 18.0,  # all correct (the 4 points of the analysis are marked by hand)
    "bruno": 16.0,  # the classifier trained on train + dev: dev's words are in its vocabulary
    "chloe": 17.0,  # acc_tfidf measured on the training set
    "david": 15.0,  # the prompt never contains the text of the review
    "emma": 15.0,  # parsing: "positif" in the answer, case and accents kept, never None
    "farid": 0.0,  # the released template
    "gaspard": 16.0,  # each training text carries its label
}

Runs = ValidatedAndGraded


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    return validate_and_grade(
        ASSIGNMENT, SUBMISSIONS, tmp_path_factory.mktemp("tp-classification"), SEED
    )


@pytest.mark.kernel
@pytest.mark.slow
def test_validate_passes(runs: Runs) -> None:
    validated = runs[0]
    assert_green(validated, ASSIGNMENT, 18, {"analyse": 4})


@pytest.mark.kernel
@pytest.mark.slow
def test_examples_get_their_expected_scores(runs: Runs) -> None:
    assert_graded_in_time(runs, EXPECTED, 22.0)


@pytest.mark.kernel
@pytest.mark.slow
@pytest.mark.parametrize(
    ("student", "check_id", "message_part"),
    [
        (
            "bruno",
            "tfidf.fuite",
            "absent(s) des textes d'entraînement (par exemple « désagréable »",
        ),
        ("chloe", "tfidf.exactitude", "étiquettes de dev donnent 0.850"),
        ("david", "prompt.texte", "le prompt ne contient pas le texte de l'avis"),
        ("emma", "parsing.exemples", "extraire_classe(\"C'est POSITIF !\") : 'négatif'"),
        ("gaspard", "tfidf.fuite", "les étiquettes sont entrées dans les textes"),
    ],
)
def test_each_mistake_is_told(runs: Runs, student: str, check_id: str, message_part: str) -> None:
    assert_told(runs[2], student, check_id, "failed", message_part)


@pytest.mark.kernel
@pytest.mark.slow
def test_the_method_is_graded_not_the_zero_shot_number(runs: Runs) -> None:
    """The stand-in's zero-shot accuracy is what it is: alice passes every zero-shot check."""
    checks = checks_of(runs[2], "alice")
    assert all(checks[c]["outcome"] == "passed" for c in checks if c.startswith("zeroshot."))


def test_release_ships_the_data_but_never_the_test_labels(tmp_path: Path) -> None:
    completed = grader_command("release", str(ASSIGNMENT), "--out", str(tmp_path / "dist"))
    assert completed.returncode == 0, completed.stderr
    shipped = {p.relative_to(tmp_path / "dist").as_posix() for p in tmp_path.rglob("*")}
    assert not any("hidden" in name or "test_labels" in name for name in shipped)
    assert {"donnees/train.csv", "donnees/dev.csv", "donnees/test.csv"} <= {
        name.split("/", 1)[1] for name in shipped if "/" in name
    }
    public_checks = next((tmp_path / "dist").rglob("checks.py")).read_text()
    assert "prompt.texte" in public_checks and "test_labels" not in public_checks


@in_bwrap_boxes
def test_the_test_labels_are_out_of_the_kernels_reach(tmp_path: Path) -> None:
    """A notebook that reads the hidden labels to predict the test set finds no such file."""
    labels = ASSIGNMENT / "hidden" / "test_labels.csv"
    cell = f"import csv\npredictions_test = [r['label'] for r in csv.DictReader(open({str(labels)!r}))]"
    report = grade_in_bwrap(ASSIGNMENT, write_notebook(tmp_path / "tricheur.ipynb", cell))
    error = report.execution.cells[0].error
    assert error is not None and error.startswith(("FileNotFoundError", "PermissionError"))
    checks = {c.id: c for c in report.checks}
    assert checks["tfidf.test"].outcome is Outcome.ERROR


@pytest.mark.kernel
@pytest.mark.slow
def test_the_notebook_says_what_grading_says(
    runs: Runs, tmp_path: Path, course_mirror: Path
) -> None:
    """What `verifier()` prints in each example's own kernel is what grading said of it."""
    examples = sorted(SUBMISSIONS.glob("*.ipynb"))
    assert_self_check_agrees(ASSIGNMENT, examples, runs[2], tmp_path, course_mirror)
