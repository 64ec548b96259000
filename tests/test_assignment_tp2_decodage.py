"""tp2-decodage: `grader validate` passes, and the example class gets its expected scores
(tests/example_classes/tp2-decodage.yaml).

The notebooks load "gpt2" from an offline mirror built once for the session, in a tmp folder.
"""

from __future__ import annotations

import pytest

from tests.example_class import ExampleClassTests, GradedClass

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

EXAMPLE_CLASS = "tp2-decodage"


class TestExampleClass(ExampleClassTests):
    pass


def test_hidden_failures_keep_the_reference_text_secret(example_class: GradedClass) -> None:
    hidden = example_class.checks("david")["glouton.aleatoire"]
    assert hidden["hidden"] and hidden["outcome"] == "failed"
    assert "attendu" not in hidden["message"]
