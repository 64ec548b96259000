"""mini-projet through the CLI: validate, release without the hidden references, the pairs'
examples (one good and one flawed per topic, each with its PDF report) graded once with their
expected scores, the PDF's pages in the report and on the marking page."""

from __future__ import annotations

import base64
import csv
import importlib.util
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from PIL import Image

import grader
from grader.results import Outcome
from tests.conftest import (
    ROOT,
    grade_in_bwrap,
    gradebook_rows,
    in_bwrap_boxes,
    make_notebook,
    write_notebook,
)
from tests.example_class import ExampleClass, ExampleClassTests, GradedClass
from tests.test_marking import serving
from tests.test_report_browser import open_in_chromium, problems

EXAMPLE_CLASS = "mini-projet"
ASSIGNMENT = ROOT / "assignments" / "mini-projet"
SUBMISSIONS = ROOT / "examples" / "submissions" / "mini-projet"
GRADER = [sys.executable, "-m", "grader"]


class TestExampleClass(ExampleClassTests):
    pass


def pdf_pages_of(graded: GradedClass, pair: str) -> list[str]:
    section = graded.checks(pair)["rapport.lisible"]["section"]
    assert section["kind"] == "pdf-pages"
    return list(section["data"]["images"])


@pytest.mark.kernel
@pytest.mark.slow
def test_the_report_shows_the_pdf_pages_as_small_images(
    example_class: GradedClass, tmp_path: Path
) -> None:
    assert len(pdf_pages_of(example_class, "binome-02")) == 4  # five pages: the first four drawn
    pages = pdf_pages_of(example_class, "binome-01")
    assert len(pages) == 2
    for page in pages:
        image = Image.open(io.BytesIO(base64.b64decode(page)))
        assert image.format == "PNG" and image.width <= 420 and len(page) < 200_000
    report = example_class.out / "reports" / "binome-01.html"
    html = report.read_text()
    assert html.count('class="pdf-page"') == 2 and "page 2 sur 2" in html
    visit = open_in_chromium(report, tmp_path / "profile")
    assert problems(visit.events, report) == []


@pytest.mark.kernel
@pytest.mark.slow
def test_the_marking_page_shows_the_pdf_pages_with_each_manual_criterion(
    example_class: GradedClass,
) -> None:
    with serving(example_class.out, "--assignment", str(ASSIGNMENT)) as server:
        for criterion in ("demarche", "analyse"):
            status, _, body = server.request(
                "GET", f"/api/answer?student=binome-01&criterion={criterion}"
            )
            assert status == 200
            plots = [p["content"] for p in json.loads(body)["parts"] if p["kind"] == "plot"]
            assert plots == pdf_pages_of(example_class, "binome-01")


@pytest.mark.kernel
@pytest.mark.slow
def test_a_self_check_reads_the_pdf_beside_the_notebook() -> None:
    notebook = SUBMISSIONS / "binome-08" / "projet.ipynb"
    checked = subprocess.run(
        [*GRADER, "check", str(notebook), "--format", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert checked.returncode in (0, 1), checked.stderr
    report = json.loads(checked.stdout)
    checks = {c["id"]: c for criterion in report["criteria"] for c in criterion["checks"]}
    assert report["student"] == "projet"
    assert checks["rapport.pages"]["outcome"] == "passed"
    assert "« Limites » introuvable" in checks["rapport.section.limites"]["message"]
    assert checks["sujet.mesure.1"]["outcome"] == "skipped"  # hidden: run at grading only


def mini_projet_checks() -> Any:
    """assignments/mini-projet/checks.py as a module, to judge outputs without a kernel."""
    spec = importlib.util.spec_from_file_location("mini_projet_checks", ASSIGNMENT / "checks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "output",
    [
        "[" * 200_000,  # nesting that json's recursion cannot follow
        '{"titre": "\\ud800", "etapes": ["a", "b"]}',  # a lone surrogate, valid JSON
        "x" * 1_000_000,
        "- \x00\n- \u202e",
        12,
        None,
    ],
    ids=["deep", "surrogate", "huge", "controls", "number", "none"],
)
def test_hostile_outputs_are_judged_never_a_check_error(output: Any) -> None:
    checks = mini_projet_checks()
    schema = {"type": "object", "required": ["titre"]}
    assert checks._as_object(output) in (None, {"titre": "\ud800", "etapes": ["a", "b"]})
    assert isinstance(checks._follows_format(output, "json", schema), bool)
    assert isinstance(checks._follows_format(output, "liste", schema), bool)


def test_a_file_of_answers_is_told_what_ids_it_lacks_and_what_it_does_not_know() -> None:
    """predictions.csv and sorties.json are held to the data's ids by one rule; the example id
    quoted from a student's file is cut to 40 characters."""
    checks = mini_projet_checks()
    checks._require_ids("sorties.json", {"d1": "x", "d2": "y"}, ["d1", "d2"], "document(s)")
    huge = "z" * 100_000
    with pytest.raises(checks.CheckFailed) as told:
        checks._require_ids("predictions.csv", {"t1": "pos", huge: "neg"}, ["t1", "t2"], "texte(s)")
    assert told.value.args[0] == (
        "`predictions.csv` : 1 texte(s), 1 identifiant(s) inconnu(s) (par exemple `t2`)"
    )
    with pytest.raises(checks.CheckFailed) as told:
        checks._require_ids("sorties.json", {"d1": "x", huge: "y"}, ["d1"], "document(s)")
    assert told.value.args[0].endswith(f"(par exemple `{'z' * 40}`)")


GROUPS = SUBMISSIONS / "groups.csv"  # ten pairs, two members each


@pytest.mark.kernel
@pytest.mark.slow
def test_every_member_gets_the_pairs_row(tmp_path: Path) -> None:
    """The acceptance's per-member rows: each pair graded once, each member its row."""
    submissions = sorted(str(p) for p in SUBMISSIONS.glob("binome-*"))
    out = tmp_path / "out"
    options = ["--groups", str(GROUPS), "--out", str(out), "-j", "1"]
    graded = subprocess.run(
        [*GRADER, "grade", str(ASSIGNMENT), *submissions, *options],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
    )
    assert graded.returncode == 1, graded.stderr
    with open(GROUPS, newline="") as handle:
        members = {row["student"]: row["group"] for row in csv.DictReader(handle)}
    scores = ExampleClass.load(EXAMPLE_CLASS).expected["scores"]
    expected = {student: scores[group] for student, group in members.items()}
    assert {row["student"]: float(row["score"]) for row in gradebook_rows(out)} == expected
    with open(out / "moodle.csv", newline="") as handle:
        moodle = {row[0]: float(row[1]) for row in list(csv.reader(handle))[1:]}
    assert moodle == expected


@pytest.mark.kernel
def test_an_unknown_topic_is_told_and_the_shared_criteria_still_count(tmp_path: Path) -> None:
    assignment = grader.load_assignment(ASSIGNMENT)
    path = tmp_path / "zoe.ipynb"
    nbformat.write(
        make_notebook('SUJET = "poésie"', "import random\nrandom.seed(1)\nprint(42)"), path
    )
    report = grader.grade_submission(
        assignment, grader.Submission("zoe", path), grader.GradeOptions(seed=7)
    )
    checks = {c.id: c for c in report.checks}
    assert checks["projet.sujet"].message.startswith("sujet inconnu 'poésie' : attendu l'un de")
    assert checks["sujet.sorties"].outcome is Outcome.FAILED
    for shared in ("projet.execution", "projet.reproductible", "projet.graines"):
        assert checks[shared].outcome is Outcome.PASSED, checks[shared].message
    assert checks["rapport.lisible"].message == (
        "rapport PDF absent : déposez `rapport.pdf` à côté du notebook"
    )
    pointer = "rapport absent ou illisible : voir « rapport.lisible »"
    assert all(checks[f"rapport.{c}"].message == pointer for c in ("pages", "mots", "figures"))


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
    hidden = ("test_labels", "extraction_gold", "resume_references", "hidden", "rapport.pdf")
    assert not any(word in name for name in shipped for word in hidden)
    for data in ("test.csv", "extraction.csv", "resume.csv", "generation_schema.json"):
        assert any(name.endswith(f"donnees/{data}") for name in shipped)
    public_checks = next((tmp_path / "dist").rglob("checks.py")).read_text()
    assert "projet.section.conclusion" in public_checks and "rapport.pages" in public_checks
    assert "sujet.mesure" not in public_checks
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
        'SUJET = "classification"',
        "with open('predictions.csv', 'w') as f:\n    f.write('id,label\\n' + 'x' * (2 << 20))",
    ]
    path = tmp_path / "zoe.ipynb"
    nbformat.write(make_notebook(*cells, assignment="mini-projet"), path)
    report = grader.grade_submission(
        assignment, grader.Submission("zoe", path), grader.GradeOptions(seed=7)
    )
    checks = {c.id: c for c in report.checks}
    assert checks["projet.execution"].outcome is Outcome.PASSED
    assert checks["sujet.sorties"].outcome is Outcome.ERROR
    assert checks["sujet.sorties"].message == "le fichier `predictions.csv` dépasse 1 Mio"
    assert all(
        checks[f"projet.section.{name}"].outcome is Outcome.FAILED
        for name in ("introduction", "donnees", "methode", "resultats", "conclusion")
    )


@in_bwrap_boxes
def test_the_hidden_labels_are_out_of_the_kernels_reach(tmp_path: Path) -> None:
    """A notebook that copies the hidden labels into its predictions finds no such file."""
    labels = ASSIGNMENT / "hidden" / "test_labels.csv"
    cell = f"import shutil\nshutil.copyfile({str(labels)!r}, 'predictions.csv')"
    path = write_notebook(
        tmp_path / "tricheur.ipynb", 'SUJET = "classification"', cell, assignment="mini-projet"
    )
    report = grade_in_bwrap(ASSIGNMENT, path)
    assert report.execution.cells[1].error is not None
    assert report.execution.cells[1].error.startswith(("FileNotFoundError", "PermissionError"))
    checks = {c.id: c for c in report.checks}
    assert checks["sujet.sorties"].message.endswith("introuvable dans le dossier du notebook")
    assert all(checks[f"sujet.mesure.{n}"].outcome is Outcome.ERROR for n in (1, 2, 3))
