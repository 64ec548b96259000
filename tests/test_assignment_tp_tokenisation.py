"""tp-tokenisation: `grader validate` passes, and the example class gets its expected scores
(tests/example_classes/tp-tokenisation.yaml).

The notebooks load gpt2 and all-MiniLM-L6-v2 from an offline mirror built once for the session.
"""

from __future__ import annotations

import json

import pytest

from tests.example_class import ExampleClassTests, GradedClass

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

EXAMPLE_CLASS = "tp-tokenisation"


class TestExampleClass(ExampleClassTests):
    pass


def test_the_data_file_reaches_the_kernel(example_class: GradedClass) -> None:
    execution = json.loads((example_class.out / "results" / "alice.json").read_text())["execution"]
    assert execution["status"] == "ok"
    assert [cell["status"] for cell in execution["cells"]] == ["ok"] * len(execution["cells"])
