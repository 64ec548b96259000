"""A student's self-check: `grader check` on a released bundle shows what grading will show
(execution troubles, the same statuses) and the honest indicative total."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.assignment.load import load_assignment
from grader.assignment.release import release
from grader.results import CheckResult, Outcome, Phase
from grader.scoring.indicative import Indicative, indicative
from tests.conftest import grader_command, make_notebook, write_course, write_notebook

CHECKS = """
from grader.checks import check, expect


@check("double.exemple")
def double_example(nb, rng):
    expect.close(nb.call("double", 2), 4, what="double(2)")


@check("double.cache", hidden=True)
def double_hidden(nb, rng):
    x = int(rng.integers(1, 100))
    expect.close(nb.call("double", x), 2 * x, what="double(x)")


@check("triple.cache", hidden=True)
def triple_hidden(nb, rng):
    expect.close(nb.call("triple", 5), 15, what="triple(5)")
"""
CRITERIA = """  - id: double
    title: Double
    points: 4
    checks: ["double.*"]
  - id: triple
    title: Triple
    points: 4
    checks: [triple.cache]
  - id: redaction
    title: Rédaction
    points: 4
    manual: true
"""
SOLUTION = "def double(x):\n    return 2 * x\n\ndef triple(x):\n    return 3 * x"
HONEST = (
    "Note indicative : 2 / 2 sur les vérifications publiques ; 6 points de vérifications "
    "cachées et 4 points notés à la main s'y ajouteront à la correction (sur 12)"
)


def small_course(root: Path) -> Path:
    template = make_notebook(SOLUTION, assignment="tp-double")
    return write_course(root, "tp-double", 'title: "TP double"\n', CHECKS, template, CRITERIA)


def test_the_honest_total_reads_as_the_issue_asks() -> None:
    assert Indicative(12, 12, 4, 4, 20).line() == (
        "Note indicative : 12 / 12 sur les vérifications publiques ; 4 points de vérifications "
        "cachées et 4 points notés à la main s'y ajouteront à la correction (sur 20)"
    )
    assert Indicative(3, 4, 0, 0, 4).line() == (
        "Note indicative : 3 / 4 sur les vérifications publiques (sur 4)"
    )


def test_the_bundle_and_the_instructors_assignment_count_the_same_total(tmp_path: Path) -> None:
    full = load_assignment(small_course(tmp_path))
    bundle = load_assignment(release(full, tmp_path / "released"))
    passed = [CheckResult("double.exemple", Outcome.PASSED, Phase.CHECK, "correct")]
    skipped = CheckResult("double.cache", Outcome.SKIPPED, Phase.CHECK, "", hidden=True)

    assert indicative(full, [*passed, skipped]) == indicative(bundle, passed)
    assert indicative(bundle, passed).line() == HONEST
    assert bundle.hidden_checks() == {
        "double": ["double.cache"],
        "triple": ["triple.cache"],
        "redaction": [],
    }
    assert "def triple_hidden" not in (bundle.root / "checks.py").read_text()


@pytest.mark.kernel
@pytest.mark.slow
def test_grader_check_shows_the_failing_cell_and_the_honest_total(tmp_path: Path) -> None:
    bundle = release(load_assignment(small_course(tmp_path)), tmp_path / "released")
    notebook = write_notebook(bundle / "tp.ipynb", SOLUTION, "1 / 0", assignment="tp-double")

    checked = grader_command("check", str(notebook))

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.splitlines()[2:] == [  # after the sandbox and the title
        "  Exécution : terminée avec des erreurs",
        "  ! cellule 2 : erreur — ZeroDivisionError: division by zero",
        "  ✓ double.exemple : correct",
        "  · double.cache : vérification cachée : exécutée à la correction",
        "  · triple.cache : vérification cachée : exécutée à la correction",
        HONEST,
    ]
