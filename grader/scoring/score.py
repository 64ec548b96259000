"""Rubric + check results -> points per criterion and a total. Pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from grader.assignment.spec import CriterionSpec, RubricSpec
from grader.results import CheckResult, CriterionScore, Outcome


def criterion_points(criterion: CriterionSpec, results: Sequence[CheckResult]) -> float:
    """Skipped checks (hidden ones in a self-check) count neither for nor against."""
    counted = [r for r in results if r.outcome is not Outcome.SKIPPED]
    if criterion.manual or not counted:
        return 0.0
    passed = sum(r.outcome is Outcome.PASSED for r in counted)
    if criterion.scheme == "all-or-nothing":
        return criterion.points if passed == len(counted) else 0.0
    return round(criterion.points * passed / len(counted), 2)


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
            )
        )
    score = round(sum(c.points for c in criteria), 2)
    max_score = round(sum(c.max_points for c in criteria), 2)
    return tuple(criteria), score, max_score
