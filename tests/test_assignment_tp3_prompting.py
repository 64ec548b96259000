"""tp3-prompting end to end through the CLI, in the bwrap sandbox: `grader validate` passes and
the example class gets its expected scores, with Expérience 10 scored against the bench rubric
in the grader process and shown as a "bench" section of each report."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_BWRAP_BOXES, ROOT
from tests.selfcheck_parity import assert_self_check_agrees

pytestmark = [*IN_BWRAP_BOXES, pytest.mark.slow]

ASSIGNMENT = ROOT / "assignments" / "tp3-prompting"
EXAMPLES = ROOT / "examples" / "submissions" / "tp3-prompting"

# criteria: prompts 4, extraction 4, tableau 3, analyse 5, accord 2, qualite 2
EXPECTED = {
    "alice": (20.0, [4, 4, 3, 5, 2, 2]),  # all correct
    "bruno": (17.5, [4, 4, 3, 2.5, 2, 2]),  # means divided by the 60 rows: exp10.moyennes
    "chloe": (16.0, [4, 2, 3, 5, 0, 2]),  # grades everything 2 (κ = 0); "negatif" not found
    "david": (15.83, [1.33, 4, 1.5, 5, 2, 2]),  # few-shot without examples, no JSON, 58 rows
    "emma": (18.0, [4, 4, 3, 5, 2, 0]),  # columns in English, titles; best automatic mean 1
    "farid": (8.0, [4, 4, 0, 0, 0, 0]),  # never ran Expérience 10
}


def grader_cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "grader", *args, "--sandbox", "bwrap"]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_validate_passes() -> None:
    completed = grader_cli("validate", str(ASSIGNMENT))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "tp3-prompting: valid: the solution scores full marks, 20 / 20" in completed.stdout


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tp3")
    submissions = sorted(str(p) for p in EXAMPLES.glob("*.ipynb"))
    completed = grader_cli("grade", str(ASSIGNMENT), *submissions, "--out", str(out), "-j", "2")
    assert completed.returncode == 1, completed.stdout + completed.stderr  # some checks fail
    return out


def test_examples_get_their_expected_scores(graded: Path) -> None:
    with open(graded / "gradebook.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    criteria = ["prompts", "extraction", "tableau", "analyse", "accord", "qualite"]
    got = {r["student"]: (float(r["score"]), [float(r[c]) for c in criteria]) for r in rows}
    assert got == EXPECTED


def bench_data(graded: Path, student: str) -> dict[str, Any]:
    result = json.loads((graded / "results" / f"{student}.json").read_text())
    sections = [
        check["section"]
        for criterion in result["criteria"]
        for check in criterion["checks"]
        if check.get("section")
    ]
    assert [s["kind"] for s in sections] == ["bench"]
    data: dict[str, Any] = sections[0]["data"]
    return data


def test_alice_section_equals_the_hand_worked_benchmark(graded: Path) -> None:
    """Automatic grades: zero-shot bare label on a01, a05, a09, a13, a17 (2), a sentence
    elsewhere (1), « positif » on the neutral a06 and a12 (0): 23 / 20 = 1,15. Few-shot: the
    label (2) but a09 (0): 1,9. Structured: JSON (2), fenced JSON on a03 and a18 (1), the
    wrong sentiment on a12 (0): 1,8. Alice grades the fenced answers 2: two disagreements."""
    data = bench_data(graded, "alice")
    assert {p["prompt"]: p["mean"] for p in data["prompts"]} == {
        "zero-shot": 1.15,
        "few-shot": 1.9,
        "structured": 1.8,
    }
    assert data["winners"] == ["few-shot"]
    analysis = data["analysis"]
    assert [
        (m["prompt"], m["recomputed"], m["claimed"], m["matches"]) for m in analysis["means"]
    ] == [
        ("zero-shot", 1.15, 1.15, True),
        ("few-shot", 1.9, 1.9, True),
        ("structured", 1.9, 1.9, True),
    ]
    assert [
        (d["case"], d["student_grade"], d["automatic_grade"]) for d in analysis["disagreements"]
    ] == [
        ("a03", 2, 1),
        ("a18", 2, 1),
    ]
    assert analysis["compared"] == 60 and 0.9 < analysis["kappa"] < 1


def test_reports_show_the_section_and_farid_has_none(graded: Path) -> None:
    alice = (graded / "reports" / "alice.html").read_text()
    assert "Expérience 10 : correction automatique" in alice
    assert "Meilleur prompt : <strong>Few-shot</strong>" in alice
    assert "κ de Cohen : 0,93." in alice and alice.count('class="bench-prompt"') == 3
    chloe = (graded / "reports" / "chloe.html").read_text()
    assert "19 désaccord(s) sur 60 notes" in chloe
    emma = bench_data(graded, "emma")
    assert emma["warnings"] == [] and {p["prompt"]: p["mean"] for p in emma["prompts"]} == {
        "zero-shot": 1.0,
        "few-shot": 0.95,
        "structured": 0.9,
    }
    farid = (graded / "reports" / "farid.html").read_text()
    assert 'class="bench"' not in farid
    assert "la variable `resultats` n&#39;est pas définie dans le notebook" in farid


def test_released_bundle_checks_without_the_bench_rubric(tmp_path: Path) -> None:
    """The student bundle has no benchmark rubric and no hidden check: its public
    checks read the table and the means from the notebook alone."""
    released = subprocess.run(
        [sys.executable, "-m", "grader", "release", str(ASSIGNMENT), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert released.returncode == 0, released.stderr
    bundle = tmp_path / "tp3-prompting"
    assert "def experiment_benchmark" not in (bundle / "checks.py").read_text()
    notebook = bundle / "david.ipynb"
    notebook.write_bytes((EXAMPLES / "david.ipynb").read_bytes())
    completed = subprocess.run(
        [sys.executable, "-m", "grader", "check", notebook.name, "--sandbox", "bwrap"],
        capture_output=True,
        text=True,
        cwd=bundle,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},  # this checkout's grader, from the bundle
    )
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "✓ exp10.moyennes : correct" in completed.stdout
    assert (
        "✗ exp10.tableau : `resultats` incomplet : prompt « structured » : 18 cas distincts "
        "sur 18 ligne(s), attendu 20 cas, une ligne chacun" in completed.stdout
    )
    # named, its code not shipped: its points are among those still to come
    assert "· exp10.benchmark : vérification cachée : exécutée à la correction" in completed.stdout


def test_the_notebook_says_what_grading_says(graded: Path, tmp_path: Path) -> None:
    """What `verifier()` prints in each example's own kernel is what grading said of it."""
    examples = sorted(EXAMPLES.glob("*.ipynb"))
    assert_self_check_agrees(ASSIGNMENT, examples, graded, tmp_path)
