"""tp1-generation through the CLI: `grader validate` is green, the examples get their scores
(tests/example_classes/tp1-generation.yaml)."""

from __future__ import annotations

import json

import pytest

from tests.example_class import ExampleClassTests, GradedClass

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

EXAMPLE_CLASS = "tp1-generation"


class TestExampleClass(ExampleClassTests):
    pass


def test_hidden_failures_show_no_expected_length(example_class: GradedClass) -> None:
    check = example_class.checks("camille")["gen.glouton"]
    assert "jetons au lieu de" not in check["message"]
    assert "jetons au lieu de" in check["detail"]


def test_the_comment_is_shown_to_the_instructor(example_class: GradedClass) -> None:
    out = example_class.out
    anna = json.loads((out / "results" / "anna.json").read_text())
    manual = [c for c in anna["criteria"] if c["manual"]]
    assert [c["id"] for c in manual] == ["commentaire"]
    html = (out / "reports" / "anna.html").read_text()
    assert "Commentaire (à noter par l" in html
    assert "une température haute aplatit la distribution" in html
    assert "une température haute aplatit" not in (out / "reports" / "damien.html").read_text()
