"""What a stored result becomes when its assignment changed since it was graded.

A rerun of `grader grade` (grader/batch.py) and `grader report` compare each stored result's
assignment fingerprint (grader/fingerprint.py) with the assignment's current one: the rubric
alone changed, the stored check outcomes are rescored here; anything else, only a new grading
brings the result up to date. `Changes` is the one line a rerun prints about it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from grader.assignment.load import load_assignment
from grader.errors import GraderError, display_path
from grader.fingerprint import PARTS, RUBRIC, Need, assignment_fingerprint, changed_parts, needs
from grader.gradebook.late import apply_lateness
from grader.gradebook.manual import carry_marks
from grader.gradebook.store import Gradebook
from grader.results import GradeReport
from grader.scoring.score import rescore_report


@dataclass
class Changes:
    """What a rerun found changed since the stored results: the one line that says it."""

    rescored: int = 0
    regrade_reasons: Counter[str] = field(default_factory=Counter)
    regrade_count: int = 0

    def regraded(self, reasons: list[str]) -> None:
        self.regrade_count += 1
        self.regrade_reasons.update(reasons)

    def line(self) -> str | None:
        parts = []
        if self.rescored:
            parts.append(
                f"{self.rescored} rescored from their stored check outcomes: the rubric changed "
                "(nothing runs)"
            )
        if self.regrade_count:
            why = ", ".join(f"{reason} changed ({n})" for reason, n in self.regrade_reasons.items())
            parts.append(f"{self.regrade_count} graded again: {why}")
        return f"since the last run: {'; '.join(parts)}" if parts else None


def reasons(stored: GradeReport, changed: list[str]) -> list[str]:
    """What changed since `stored` was graded, as the rerun's line says it."""
    if not stored.fingerprint:
        return ["the grader (a result stored without its assignment's fingerprint)"]
    return [PARTS[part] for part in changed if part != RUBRIC]


def under_current_rubric(
    gradebook: Gradebook, assignment_id: str, say: Callable[[str], None]
) -> list[GradeReport]:
    """The current results of an assignment, rescored (and recorded) where the rubric of its
    folder changed since they were graded."""
    current = gradebook.current(assignment_id)
    reports = [c.report for c in current.values()]
    root = gradebook.root(assignment_id)
    if root is None:
        return reports
    try:
        assignment = load_assignment(root)
    except GraderError as error:
        say(f"grader: {assignment_id}: scores as stored: cannot read its rubric ({error})")
        return reports
    fingerprint = assignment_fingerprint(assignment)
    changed = {s: changed_parts(c.report.fingerprint, fingerprint) for s, c in current.items()}
    stale = [s for s, parts in changed.items() if needs(parts) is Need.REGRADE]
    if stale:
        why = sorted({reason for s in stale for reason in reasons(current[s].report, changed[s])})
        say(
            f"grader: {assignment_id}: {len(stale)} result(s) predate a change of "
            f"{', '.join(why)}: run grader grade again to regrade them"
        )
    rescore = [s for s, parts in changed.items() if needs(parts) is Need.RESCORE]
    if not rescore:
        return reports
    run = gradebook.start_run(assignment_id, 0, "rescore", assignment.spec.title, root)
    for student in rescore:
        stored = current[student]
        report = rescore_report(
            stored.report, assignment.rubric, assignment.criterion_checks(), fingerprint
        )
        report = carry_marks(apply_lateness(report, stored.report.late), stored.report)
        gradebook.record(run, report, stored.submission)
    say(
        f"grader: {assignment_id}: {len(rescore)} result(s) rescored under the current rubric "
        f"({display_path(assignment.rubric_path)}); nothing ran"
    )
    return [c.report for c in gradebook.current(assignment_id).values()]
