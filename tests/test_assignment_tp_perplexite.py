"""tp-perplexite: `grader validate` passes, and the example class gets its expected scores
(tests/example_classes/tp-perplexite.yaml)."""

from __future__ import annotations

from tests.example_class import ExampleClassTests

EXAMPLE_CLASS = "tp-perplexite"


class TestExampleClass(ExampleClassTests):
    pass
