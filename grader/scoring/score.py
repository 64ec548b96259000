"""Rubric + check results -> points per criterion and a total. Pure functions, no I/O.

Check results are stored as they came (the student's own outcome, plus `carried_from` when a
re-run with a wrong upstream's reference passed): what they are worth is decided here, from the
rubric alone, so a changed rubric rescores stored results without running anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from grader.assignment.spec import CriterionSpec, RubricSpec
from grader.results import CheckResult, CriterionScore, GradeReport, Outcome, carried_forward


def credited(criterion: CriterionSpec, result: CheckResult) -> bool:
    """Passed, or failed only through an upstream function already penalised (« erreur
    reportée ») in a criterion that grants carry-forward."""
    if result.outcome is Outcome.PASSED:
        return True
    return criterion.carry_forward and carried_forward(result)


def criterion_points(criterion: CriterionSpec, results: Sequence[CheckResult]) -> float:
    """Skipped checks (hidden ones in a self-check) count neither for nor against; nor do the
    checks in check-error, whose share is held back (held_back_points)."""
    counted = [r for r in results if r.outcome is not Outcome.SKIPPED]
    if criterion.manual or not counted:
        return 0.0
    passed = sum(credited(criterion, r) for r in counted)
    if criterion.scheme == "all-or-nothing":
        return criterion.points if passed == len(counted) else 0.0
    return round(criterion.points * passed / len(counted), 2)


def held_back_points(criterion: CriterionSpec, results: Sequence[CheckResult]) -> float:
    """The points the checks in check-error would decide: neither given nor lost (« à revoir »)
    until the instructor fixes the check and grades again."""
    counted = [r for r in results if r.outcome is not Outcome.SKIPPED]
    in_error = sum(r.outcome is Outcome.CHECK_ERROR for r in counted)
    if criterion.manual or not in_error:
        return 0.0
    if criterion.scheme == "all-or-nothing":
        passed = sum(credited(criterion, r) for r in counted)
        return criterion.points if passed + in_error == len(counted) else 0.0
    return round(criterion.points * in_error / len(counted), 2)


def score_rubric(
    rubric: RubricSpec,
    criterion_checks: Mapping[str, Sequence[str]],
    results: Sequence[CheckResult],
) -> tuple[tuple[CriterionScore, ...], float, float]:
    """(criteria, score, max_score); results are matched to criteria by check id."""
    by_id = {result.id: result for result in results}
    criteria = []
    for criterion in rubric.criteria:
        mine = tuple(by_id[i] for i in criterion_checks.get(criterion.id, ()) if i in by_id)
        criteria.append(
            CriterionScore(
                id=criterion.id,
                title=criterion.title,
                points=criterion_points(criterion, mine),
                max_points=criterion.points,
                checks=mine,
                manual=criterion.manual,
                held_back=held_back_points(criterion, mine),
                carry_forward=criterion.carry_forward,
            )
        )
    score = round(sum(c.points for c in criteria), 2)
    max_score = round(sum(c.max_points for c in criteria), 2)
    return tuple(criteria), score, max_score


def rescore_report(
    report: GradeReport,
    rubric: RubricSpec,
    criterion_checks: Mapping[str, Sequence[str]],
    fingerprint: Mapping[str, str],
) -> GradeReport:
    """`report`'s stored check outcomes under `rubric`: nothing runs. Lateness and manual marks
    are applied again by whoever stores it, as for a new grade."""
    criteria, score, max_score = score_rubric(rubric, criterion_checks, report.checks)
    return replace(
        report,
        criteria=criteria,
        score=score,
        max_score=max_score,
        late=None,
        fingerprint=dict(fingerprint),
    )
