"""tp-classification: `grader validate` passes, the example class gets its expected scores,
and the test labels never reach a student: not in the released bundle, not in a kernel."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.results import Outcome
from tests.conftest import ROOT, grade_in_bwrap, grader_command, in_bwrap_boxes, write_notebook
from tests.example_class import ExampleClassTests, GradedClass

EXAMPLE_CLASS = "tp-classification"
ASSIGNMENT = ROOT / "assignments" / "tp-classification"


class TestExampleClass(ExampleClassTests):
    pass


@pytest.mark.kernel
@pytest.mark.slow
def test_the_method_is_graded_not_the_zero_shot_number(example_class: GradedClass) -> None:
    """The stand-in's zero-shot accuracy is what it is: alice passes every zero-shot check."""
    checks = example_class.checks("alice")
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
