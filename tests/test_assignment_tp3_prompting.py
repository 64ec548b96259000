"""tp3-prompting end to end through the CLI, in the bwrap sandbox: `grader validate` passes and
the example class gets its expected scores (tests/example_classes/tp3-prompting.yaml), with
Expérience 10 scored against the bench rubric in the grader process and shown as a "bench"
section of each report."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_BWRAP_BOXES, ROOT
from tests.example_class import ExampleClassTests, GradedClass

pytestmark = [*IN_BWRAP_BOXES, pytest.mark.slow]

EXAMPLE_CLASS = "tp3-prompting"
ASSIGNMENT = ROOT / "assignments" / "tp3-prompting"
EXAMPLES = ROOT / "examples" / "submissions" / "tp3-prompting"


class TestExampleClass(ExampleClassTests):
    pass


def bench_data(graded: GradedClass, student: str) -> dict[str, Any]:
    sections = [
        check["section"] for check in graded.checks(student).values() if check.get("section")
    ]
    assert [s["kind"] for s in sections] == ["bench"]
    data: dict[str, Any] = sections[0]["data"]
    return data


def test_alice_section_equals_the_hand_worked_benchmark(example_class: GradedClass) -> None:
    """Automatic grades: zero-shot bare label on a01, a05, a09, a13, a17 (2), a sentence
    elsewhere (1), « positif » on the neutral a06 and a12 (0): 23 / 20 = 1,15. Few-shot: the
    label (2) but a09 (0): 1,9. Structured: JSON (2), fenced JSON on a03 and a18 (1), the
    wrong sentiment on a12 (0): 1,8. Alice grades the fenced answers 2: two disagreements."""
    data = bench_data(example_class, "alice")
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


def test_reports_show_the_section_and_farid_has_none(example_class: GradedClass) -> None:
    alice = (example_class.out / "reports" / "alice.html").read_text()
    assert "Expérience 10 : correction automatique" in alice
    assert "Meilleur prompt : <strong>Few-shot</strong>" in alice
    assert "κ de Cohen : 0,93." in alice and alice.count('class="bench-prompt"') == 3
    chloe = (example_class.out / "reports" / "chloe.html").read_text()
    assert "19 désaccord(s) sur 60 notes" in chloe
    emma = bench_data(example_class, "emma")
    assert emma["warnings"] == [] and {p["prompt"]: p["mean"] for p in emma["prompts"]} == {
        "zero-shot": 1.0,
        "few-shot": 0.95,
        "structured": 0.9,
    }
    farid = (example_class.out / "reports" / "farid.html").read_text()
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
