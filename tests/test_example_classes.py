"""Every assignment's example class is graded by a test module (tests/example_class.py), and
every expectations file is one such module's: none is left unread. And loading an assignment's
checks costs grader's main process no torch."""

from __future__ import annotations

import re
import subprocess
import sys

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


def test_no_assignment_imports_torch_when_its_checks_are_loaded() -> None:
    """grader's main process loads every checks.py and never runs a check: torch (1.6 s and
    its memory) is for the workers, which fork from a warm parent that has it already."""
    probe = (
        "import sys; from pathlib import Path; from grader.checks.runner import load_checks\n"
        "for path in sorted(Path('assignments').glob('*/checks.py')):\n"
        "    load_checks(path)\n"
        "    print(path.parent.name, 'torch' in sys.modules)\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert loaded.returncode == 0, loaded.stderr
    assert [line for line in loaded.stdout.splitlines() if line.endswith("True")] == []
    assert len(loaded.stdout.splitlines()) == len(list((ROOT / "assignments").glob("*/checks.py")))
