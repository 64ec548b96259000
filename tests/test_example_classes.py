"""Every assignment's example class is graded by a test module (tests/example_class.py), and
every expectations file is one such module's: none is left unread."""

from __future__ import annotations

import re

from tests.conftest import ROOT
from tests.example_class import EXPECTATIONS, ExampleClass


def test_each_assignment_but_the_demos_has_its_example_class_graded() -> None:
    declared = {
        match.group(1)
        for module in (ROOT / "tests").glob("test_assignment_*.py")
        if (match := re.search(r'^EXAMPLE_CLASS = "([^"]+)"$', module.read_text(), re.M))
    }
    files = {path.stem for path in EXPECTATIONS.glob("*.yaml")}
    assignments = {path.name for path in (ROOT / "assignments").iterdir() if path.is_dir()}
    assert declared == files == assignments - {"tp-attention"}  # tests/test_demo.py grades it
    for name in files:
        assert ExampleClass.load(name).submissions, name
