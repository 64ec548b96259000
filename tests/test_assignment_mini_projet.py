"""mini-projet through the CLI: validate, release without the hidden labels, expected scores."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import grader
from grader.results import Outcome
from grader.sandbox.selection import select_backend
from tests.conftest import ROOT, checks_of, gradebook_rows, in_bwrap_boxes, make_notebook

ASSIGNMENT = ROOT / "assignments" / "mini-projet"
SUBMISSIONS = ROOT / "examples" / "submissions" / "mini-projet"
EXPECTED = {
    "lea": 14.0,  # a complete project; 6 points are marked by hand
    "malo": 9.0,  # predicts the majority class everywhere, no conclusion
    "nina": 11.0,  # a last cell that raises: not end to end
    "oscar": 8.0,  # predictions.csv is a symbolic link: refused
}
GRADER = [sys.executable, "-m", "grader"]

Runs = tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str], Path]


@pytest.fixture(scope="module")
def runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> Runs:
    out = tmp_path_factory.mktemp("mini-projet")
    validate = subprocess.Popen(
        [*GRADER, "validate", str(ASSIGNMENT)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    submissions = sorted(str(p) for p in SUBMISSIONS.glob("*.ipynb"))
    grade = subprocess.run(
        [*GRADER, "grade", str(ASSIGNMENT), *submissions, "--out", str(out), "-j", "1"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    stdout, stderr = validate.communicate(timeout=600)
    validated = subprocess.CompletedProcess(validate.args, validate.returncode, stdout, stderr)
    return validated, grade, out


@pytest.mark.kernel
@pytest.mark.slow
def test_validate_is_green(runs: Runs) -> None:
    validated = runs[0]
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "mini-projet: valid" in validated.stdout


@pytest.mark.kernel
@pytest.mark.slow
def test_examples_get_their_expected_scores(runs: Runs) -> None:
    _, graded, out = runs
    assert graded.returncode == 1, graded.stderr
    rows = gradebook_rows(out)
    assert {row["student"]: float(row["score"]) for row in rows} == EXPECTED
    lea = next(row for row in rows if row["student"] == "lea")
    assert (lea["execution"], lea["sections"], lea["predictions"], lea["performance"]) == (
        "3.0",
        "5.0",
        "2.0",
        "4.0",
    )


@pytest.mark.kernel
@pytest.mark.slow
@pytest.mark.parametrize(
    ("student", "check_id", "outcome", "message_part"),
    [
        ("malo", "projet.section.conclusion", "failed", "aucun titre Markdown « ## Conclusion »"),
        ("malo", "projet.f1.50", "failed", "F1 macro sur le test caché : 0.083"),
        ("nina", "projet.execution", "failed", "cellule 9 (NameError"),
        ("oscar", "projet.predictions", "error", "est un lien symbolique : refusé"),
        ("oscar", "projet.f1.85", "error", "est un lien symbolique : refusé"),
    ],
)
def test_each_mistake_is_told(
    runs: Runs,
    student: str,
    check_id: str,
    outcome: str,
    message_part: str,
) -> None:
    check = checks_of(runs[2], student)[check_id]
    assert check["outcome"] == outcome and message_part in check["message"]


def test_release_ships_the_data_but_never_the_hidden_labels(tmp_path: Path) -> None:
    completed = subprocess.run(
        [*GRADER, "release", str(ASSIGNMENT), "--out", str(tmp_path / "dist")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    shipped = {p.relative_to(tmp_path / "dist").as_posix() for p in tmp_path.rglob("*")}
    assert not any("test_labels" in name or "hidden" in name for name in shipped)
    assert any(name.endswith("donnees/test.csv") for name in shipped)
    public_checks = next((tmp_path / "dist").rglob("checks.py")).read_text()
    assert "projet.section.conclusion" in public_checks and "projet.f1" not in public_checks
    notebook_path = next((tmp_path / "dist").rglob("mini-projet.ipynb"))
    template = nbformat.read(notebook_path, as_version=4)
    prose = "\n".join(c.source for c in template.cells if c.cell_type == "markdown")
    assert "## 1. Introduction" in prose and "*À compléter.*" in prose
    assert "BEGIN SOLUTION" not in prose and "quatre thèmes" not in prose


@pytest.mark.kernel
def test_predictions_are_read_by_the_grader_with_a_size_cap(tmp_path: Path) -> None:
    """An oversized predictions file is refused with a sentence; it is never read whole."""
    assignment = grader.load_assignment(ASSIGNMENT)
    cells = [
        "with open('predictions.csv', 'w') as f:\n    f.write('id,label\\n' + 'x' * (2 << 20))",
    ]
    path = tmp_path / "zoe.ipynb"
    nbformat.write(make_notebook(*cells, assignment="mini-projet"), path)
    report = grader.grade_submission(
        assignment, grader.Submission("zoe", path), grader.GradeOptions(seed=7)
    )
    checks = {c.id: c for c in report.checks}
    assert checks["projet.execution"].outcome is Outcome.PASSED
    assert checks["projet.predictions"].outcome is Outcome.ERROR
    assert checks["projet.predictions"].message == "le fichier `predictions.csv` dépasse 1 Mio"
    assert all(
        checks[f"projet.section.{name}"].outcome is Outcome.FAILED
        for name in ("introduction", "donnees", "methode", "resultats", "conclusion")
    )


@in_bwrap_boxes
def test_the_hidden_labels_are_out_of_the_kernels_reach(tmp_path: Path) -> None:
    """A notebook that copies the hidden labels into its predictions finds no such file."""
    assignment = grader.load_assignment(ASSIGNMENT)
    labels = ASSIGNMENT / "hidden" / "test_labels.csv"
    cell = f"import shutil\nshutil.copyfile({str(labels)!r}, 'predictions.csv')"
    path = tmp_path / "tricheur.ipynb"
    nbformat.write(make_notebook(cell, assignment="mini-projet"), path)
    options = grader.GradeOptions(
        seed=7, sandbox=select_backend("bwrap"), protected=(assignment.root,)
    )
    report = grader.grade_submission(assignment, grader.Submission("tricheur", path), options)
    assert report.execution.cells[0].error is not None
    assert report.execution.cells[0].error.startswith(("FileNotFoundError", "PermissionError"))
    checks = {c.id: c for c in report.checks}
    assert checks["projet.predictions"].message.endswith("introuvable dans le dossier du notebook")
    assert all(checks[f"projet.f1.{t}"].outcome is Outcome.ERROR for t in ("50", "70", "85"))
