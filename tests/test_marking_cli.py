"""`grader mark` refuses, with a message naming the file, what it cannot serve (no server
started, no browser)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner

from grader.cli import main
from grader.gradebook.store import Gradebook
from tests.report_builders import make_report


def test_a_folder_without_gradebook_or_manual_criterion_is_refused(tmp_path: Path) -> None:
    runner = CliRunner()
    empty = runner.invoke(main, ["mark", str(tmp_path), "--no-browser"])
    assert empty.exit_code == 2 and "gradebook.sqlite: no gradebook here" in empty.output
    gradebook = Gradebook(tmp_path / "gradebook.sqlite")
    report = make_report("alice")
    automatic = replace(report, criteria=tuple(c for c in report.criteria if not c.manual))
    gradebook.record(gradebook.start_run("tp-mini", 1, "none", "TP mini"), automatic)
    gradebook.close()
    none = runner.invoke(main, ["mark", str(tmp_path), "--no-browser"])
    assert none.exit_code == 2 and "tp-mini has no manual criterion, nothing to mark" in none.output
