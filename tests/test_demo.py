"""End to end through the CLI: the bundled class is graded to the expected scores."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT, TP_ATTENTION

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

EXPECTED = {
    "alice": 20.0,  # all correct
    "bruno": 8.0,  # forgot √d_k in the function (and so in its multi-head attention)
    "chloe": 11.27,  # softmax over the wrong axis
    "david": 15.8,  # inverted mask
    "emma": 19.33,  # unstable softmax: NaN on scores of 1000
    "farid": 19.0,  # causal_mask raises
    "gabrielle": 10.6,  # a syntax error in the softmax cell
    "hugo": 20.0,  # an infinite loop in an exploration cell, interrupted
    "ines": 3.6,  # hard-codes the worked example, implements nothing general
    "jade": 17.0,  # multi-head attention that cuts the heads across positions
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("demo")
    command = [
        sys.executable,
        "-m",
        "grader",
        "grade",
        str(TP_ATTENTION),
        *sorted(str(p) for p in EXAMPLES.glob("*.ipynb")),
        "--out",
        str(out),
        "--junit",
        str(out / "junit.xml"),
        "-j",
        "2",
    ]
    completed = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)
    return completed, out


def test_scores_equal_the_expected_table(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    completed, out = demo
    assert completed.returncode == 1, completed.stderr  # some checks fail: exit 1
    with open(out / "gradebook.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["student"]: float(row["score"]) for row in rows} == EXPECTED
    assert {row["student"]: row["status"] for row in rows}["hugo"] == "timeout"
    assert list(rows[0]) == [
        "student",
        "score",
        "max_score",
        "percent",
        "calcul-main",
        "softmax",
        "attention",
        "implementation",
        "masque-causal",
        "multi-tetes",
        "minilm",
        "status",
    ]


def test_kernels_fork_from_one_warm_parent(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    completed, _ = demo
    warm = [line for line in completed.stdout.splitlines() if line.startswith("warm start:")]
    assert len(warm) == 1 and "numpy, torch, transformers, matplotlib imported once" in warm[0]


def test_output_tree_of_the_design(demo: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, out = demo
    for student in EXPECTED:
        result = json.loads((out / "results" / f"{student}.json").read_text())
        assert result["schema_version"] == 1 and result["student"] == student
        assert result["assignment"] == "tp-attention" and result["max_score"] == 20
        html = (out / "reports" / f"{student}.html").read_text()
        assert student in html and "<style>" in html
        assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert (out / "summary.html").is_file() and (out / "gradebook.sqlite").is_file()


def test_reports_show_hidden_checks_without_expected_values(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _, out = demo
    bruno = json.loads((out / "results" / "bruno.json").read_text())
    hidden = [c for crit in bruno["criteria"] for c in crit["checks"] if c["hidden"]]
    failed = [c for c in hidden if c["outcome"] == "failed"]
    assert failed and all("attendu" not in c["message"] for c in failed)
    html = (out / "reports" / "bruno.html").read_text()
    assert all(c["detail"].split(" : ")[-1] not in html for c in failed)


def test_limits_hit_are_told_in_french(demo: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, out = demo
    hugo = json.loads((out / "results" / "hugo.json").read_text())
    assert hugo["execution"]["message"].startswith("La cellule 13 a dépassé la limite de 15 s")
    assert (
        "La cellule 13 a dépassé la limite de 15 s" in (out / "reports" / "hugo.html").read_text()
    )


def test_junit_lists_every_check(demo: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, out = demo
    root = ET.parse(out / "junit.xml").getroot()
    suites = root.findall("testsuite")
    assert len(suites) == len(EXPECTED)
    alice = next(s for s in suites if s.get("name") == "tp-attention.alice")
    assert alice.get("failures") == "0" and alice.get("errors") == "0"
    assert int(alice.get("tests", "0")) == 20


def test_terminal_lists_each_student(demo: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    completed, _ = demo
    for student in EXPECTED:
        assert student in completed.stdout
    assert "class summary in" in completed.stdout
