"""tp-rnn: `grader validate` passes, and the example class gets its expected scores
(tests/example_classes/tp-rnn.yaml).

The checks judge properties of random training runs and of timings on a loaded machine (a
rank correlation, slopes in a band, a probe whose first call is slow), so these scores must
not depend on the grading seed nor on the load: the class is graded once, with a fixed seed,
while `validate` runs beside it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.results import figure_png
from tests.example_class import ExampleClass, ExampleClassTests, GradedClass, under_seeds

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

EXAMPLE_CLASS = "tp-rnn"


class TestExampleClass(ExampleClassTests):
    pass


def test_a_failed_figure_check_shows_the_students_plot(example_class: GradedClass) -> None:
    section = example_class.checks("hugo")["exp7.figure"]["section"]
    assert section["kind"] == "figure" and section["data"]["cell"] == 17
    assert figure_png(section["data"]["png"]) is not None  # the whole PNG, kept in the results
    report = (example_class.out / "reports" / "hugo.html").read_text(encoding="utf-8")
    assert 'src="data:image/png;base64,' in report


def test_five_grading_seeds_give_the_same_score(tmp_path: Path) -> None:
    """alice's notebook run once, its checks run under five seeds: the hidden inputs (training
    seeds, lengths, the probe's passes) change, the verdicts do not."""
    verdicts = under_seeds(ExampleClass.load(EXAMPLE_CLASS), "alice", (1, 2, 3, 4, 5), tmp_path)
    assert verdicts == dict.fromkeys((1, 2, 3, 4, 5), (22.0, []))
