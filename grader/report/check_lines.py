"""The lines a student reads after a self-check, in French: the same from `grader check` and
from `verifier()` in the notebook.

How the notebook ran, as the graded report will say it (the same statuses, each troubled cell
with its error), then one line per check (✓ passed, ✗ failed, ! error, · skipped, ? the
check's own error) and the indicative total (grader/scoring/indicative.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from grader.assignment.load import Assignment
from grader.formats import Lang
from grader.messages import localized, say
from grader.report.i18n import translator
from grader.results import CellStatus, CheckResult, ExecutionRecord, ExecutionStatus, GradeReport
from grader.scoring.indicative import indicative
from grader.text import safe_text

MARKS = {"passed": "✓", "failed": "✗", "error": "!", "skipped": "·", "check-error": "?"}


def execution_lines(execution: ExecutionRecord, lang: Lang = "fr") -> Iterator[str]:
    """Nothing when every cell ran; otherwise the status, the limit hit and each troubled cell."""
    t = translator(lang)
    if execution.status is ExecutionStatus.OK and not execution.skipped_files:
        return
    yield "  " + say("selfcheck.execution", status=t("status." + execution.status)).text(lang)
    if execution.message:
        yield f"  ! {safe_text(execution.message)}"
    for skipped in execution.skipped_files:
        yield f"  ! {skipped.path} : {skipped.message}"
    for cell in execution.cells:
        if cell.status is not CellStatus.OK:
            # a limit's cell says its limit; an error's adds the exception's last line
            error = cell.error if cell.status is CellStatus.ERROR and cell.error else ""
            error = f" — {_last_line(error)}" if error else ""
            said = say("selfcheck.cell", number=cell.index + 1, status=t("cell." + cell.status))
            yield f"  ! {said.text(lang)}{error}"


def check_line(result: CheckResult, lang: Lang = "fr") -> str:
    message = localized(result.message_key, result.message_params, result.message, lang)
    return f"  {MARKS[result.outcome]} {result.id}{_colon(lang)}{safe_text(message)}"


def _colon(lang: Lang) -> str:
    return " : " if lang == "fr" else ": "


def hidden_line(check_id: str, lang: Lang = "fr") -> str:
    """A hidden check the self-check does not run (a released bundle does not hold it)."""
    return f"  {MARKS['skipped']} {check_id}{_colon(lang)}{say('check.hidden_skipped').text(lang)}"


def check_lines(
    assignment: Assignment,
    results: Sequence[CheckResult],
    parts: Sequence[str] = (),
    lang: Lang = "fr",
) -> Iterator[str]:
    """Part by part (`parts`, or every rubric criterion in its order): the lines of the part's
    results, in the order they ran, then its hidden checks that did not run. Without `parts`,
    a result of no criterion comes last."""
    checks = assignment.criterion_checks()
    hidden = assignment.hidden_checks()
    ran = {result.id for result in results}
    said: set[str] = set()
    for part in parts or [criterion.id for criterion in assignment.rubric.criteria]:
        mine = set(checks[part])
        for result in results:
            if result.id in mine and result.id not in said:
                said.add(result.id)
                yield check_line(result, lang)
        for check_id in hidden[part]:
            if check_id not in said and check_id not in ran:
                said.add(check_id)
                yield hidden_line(check_id, lang)
    if not parts:
        yield from (check_line(r, lang) for r in results if r.id not in said)


def _last_line(error: str) -> str:
    """A traceback's last line: the exception and its message."""
    return safe_text(error.strip().splitlines()[-1] if error.strip() else error)


def self_check_lines(assignment: Assignment, report: GradeReport) -> Iterator[str]:
    """Everything `grader check` prints after its title (in French: a student reads it)."""
    yield from execution_lines(report.execution)
    yield from check_lines(assignment, report.checks)
    yield indicative(assignment, report.checks).line()
