"""End to end through the CLI: the bundled class is graded to the expected scores."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT, TP_ATTENTION, checks_of, gradebook_rows
from tests.selfcheck_parity import assert_self_check_agrees

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

EXPECTED = {
    "alice": 20.0,  # all correct
    # forgot √d_k in the function: the attention criterion only (« erreur reportée » in its
    # multi-head attention, 8.0 before carry-forward)
    "bruno": 12.0,
    "chloe": 18.67,  # softmax over the wrong axis: her attention is right with a right softmax
    "david": 16.8,  # inverted mask (in his attention: his multi-head masks right on a right one)
    "emma": 19.33,  # unstable softmax: NaN on scores of 1000
    "farid": 19.0,  # causal_mask raises
    "gabrielle": 18.0,  # a syntax error in the softmax cell: the rest is built right on it
    "hugo": 20.0,  # an infinite loop in an exploration cell, interrupted
    "ines": 3.6,  # hard-codes the worked example, implements nothing general
    "jade": 17.0,  # multi-head attention that cuts the heads across positions
}
CRITERIA = [
    "calcul-main",
    "softmax",
    "attention",
    "implementation",
    "masque-causal",
    "multi-tetes",
    "minilm",
]


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
    assert list(rows[0]) == ["student", "score", "max_score", "percent", *CRITERIA, "status"]


def test_a_wrong_attention_costs_the_attention_criterion_alone(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _, out = demo
    rows = {row["student"]: row for row in gradebook_rows(out)}
    lost = [c for c in CRITERIA if float(rows["bruno"][c]) < float(rows["alice"][c])]
    assert lost == ["attention"]
    checks = checks_of(out, "bruno")
    multi_head = [checks[i] for i in ("mha.exemple", "mha.aleatoire", "mha.masque")]
    assert all(c["outcome"] == "failed" for c in multi_head)  # his own outcome is kept
    assert all(c["carried_from"] == "scaled_dot_product_attention" for c in multi_head)
    assert checks["sdpa.exemple"]["carried_from"] is None  # the mistake itself is not carried
    html = (out / "reports" / "bruno.html").read_text()
    assert html.count("Erreur reportée de `scaled_dot_product_attention`") == 3


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


def test_the_notebook_says_what_grading_says(
    demo: tuple[subprocess.CompletedProcess[str], Path], tmp_path: Path, course_mirror: Path
) -> None:
    """What `verifier()` prints in each example's own kernel is what grading said of it."""
    examples = sorted(EXAMPLES.glob("*.ipynb"))
    assert_self_check_agrees(TP_ATTENTION, examples, demo[1], tmp_path, course_mirror)
