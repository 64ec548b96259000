"""tp-mlp (Expériences 1 and 2): `grader validate` passes, the example class gets its expected
scores and each mistake fails where it should (tests/example_classes/tp-mlp.yaml), and scores
do not depend on the grading seed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.example_class import ExampleClass, ExampleClassTests, GradedClass, under_seeds

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

EXAMPLE_CLASS = "tp-mlp"


class TestExampleClass(ExampleClassTests):
    pass


def test_the_messages_say_what_is_wrong(example_class: GradedClass) -> None:
    assert example_class.checks("emma")["exp1.coherence"]["message"].startswith(
        "validation, n = 100 : aucune courbe tracée ne correspond aux valeurs que votre code calcule"
    )
    assert example_class.checks("david")["exp2.figures"]["message"] == (
        "Expérience 2, frontières de décision : le graphique ne trace pas de contour "
        "(la frontière de décision)"
    )
    evaluation = example_class.checks("chloe")["mlp.evaluation"]["message"]
    assert "le dropout doit être coupé" in evaluation


def test_a_failed_figure_check_shows_the_students_plot(example_class: GradedClass) -> None:
    section = example_class.checks("david")["exp2.figures"]["section"]
    assert section["kind"] == "figure" and section["data"]["cell"] == 13
    report = (example_class.out / "reports" / "david.html").read_text()
    assert 'alt="votre figure (cellule 14)"' in report


@pytest.mark.parametrize("student", ["alice", "bruno"])
def test_the_same_score_under_five_grading_seeds(tmp_path: Path, student: str) -> None:
    """The hidden checks draw their data and seeds from the grading seed: honest randomness
    never moves a score (the right answer, and the mistake the properties catch). The notebook
    runs once, its checks under five seeds."""
    example = ExampleClass.load(EXAMPLE_CLASS)
    verdicts = under_seeds(example, student, (11, 22, 33, 44, 55), tmp_path)
    assert {score for score, _ in verdicts.values()} == {example.expected["scores"][student]}
