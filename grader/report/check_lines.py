"""The lines a student reads after a self-check, in French: the same from `grader check` and
from `verifier()` in the notebook.

How the notebook ran, as the graded report will say it (the same statuses, each troubled cell
with its error), then one line per check (✓ passed, ✗ failed, ! error, · skipped, ? the
check's own error) and the indicative total (grader/scoring/indicative.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from grader.assignment.load import Assignment
from grader.checks.runner import HIDDEN_MESSAGE
from grader.report.i18n import translator
from grader.results import CellStatus, CheckResult, ExecutionRecord, ExecutionStatus, GradeReport
from grader.scoring.indicative import indicative
from grader.text import safe_text

MARKS = {"passed": "✓", "failed": "✗", "error": "!", "skipped": "·", "check-error": "?"}


def execution_lines(execution: ExecutionRecord) -> Iterator[str]:
    """Nothing when every cell ran; otherwise the status, the limit hit and each troubled cell."""
    t = translator("fr")
    if execution.status is ExecutionStatus.OK and not execution.skipped_files:
        return
    yield f"  Exécution : {t('status.' + execution.status)}"
    if execution.message:
        yield f"  ! {safe_text(execution.message)}"
    for skipped in execution.skipped_files:
        yield f"  ! {skipped.path} : {skipped.message}"
    for cell in execution.cells:
        if cell.status is not CellStatus.OK:
            # a limit's cell says its limit; an error's adds the exception's last line
            error = cell.error if cell.status is CellStatus.ERROR and cell.error else ""
            error = f" — {_last_line(error)}" if error else ""
            yield f"  ! cellule {cell.index + 1} : {t('cell.' + cell.status)}{error}"


def check_line(result: CheckResult) -> str:
    return f"  {MARKS[result.outcome]} {result.id} : {safe_text(result.message)}"


def hidden_line(check_id: str) -> str:
    """A hidden check the self-check does not run (a released bundle does not hold it)."""
    return f"  {MARKS['skipped']} {check_id} : {HIDDEN_MESSAGE}"


def check_lines(results: Sequence[CheckResult], hidden: Sequence[str]) -> Iterator[str]:
    """Each result's line, then the hidden checks not among the results."""
    yield from (check_line(r) for r in results)
    shown = {r.id for r in results}
    yield from (hidden_line(i) for i in hidden if i not in shown)


def _last_line(error: str) -> str:
    """A traceback's last line: the exception and its message."""
    return safe_text(error.strip().splitlines()[-1] if error.strip() else error)


def self_check_lines(assignment: Assignment, report: GradeReport) -> Iterator[str]:
    """Everything a self-check prints after its title."""
    yield from execution_lines(report.execution)
    hidden = [i for ids in assignment.hidden_checks().values() for i in ids]
    yield from check_lines(report.checks, hidden)
    yield indicative(assignment, report.checks).line()
