"""Rubric -> points: a table of schemes and outcomes."""

from __future__ import annotations

import pytest

from grader.assignment.spec import CriterionSpec, RubricSpec
from grader.results import CheckResult, Outcome, Phase
from grader.scoring.score import criterion_points, score_rubric

P, F, E, S = Outcome.PASSED, Outcome.FAILED, Outcome.ERROR, Outcome.SKIPPED


def results(*outcomes: Outcome) -> list[CheckResult]:
    return [CheckResult(f"c{i}", o, Phase.CHECK, "") for i, o in enumerate(outcomes)]


@pytest.mark.parametrize(
    ("scheme", "points", "outcomes", "expected"),
    [
        ("proportional", 6, [P, P, P], 6),
        ("proportional", 6, [P, F, P], 4),
        ("proportional", 8, [P, F, E, F, F], 1.6),
        ("proportional", 4, [P, P, F], 2.67),  # rounded to the hundredth
        ("proportional", 4, [P, S, S], 4),  # skipped checks do not count
        ("proportional", 4, [S, S], 0),
        ("proportional", 4, [], 0),
        ("all-or-nothing", 2, [P, P], 2),
        ("all-or-nothing", 2, [P, E], 0),
        ("all-or-nothing", 2, [F], 0),
    ],
)
def test_criterion_points(
    scheme: str, points: float, outcomes: list[Outcome], expected: float
) -> None:
    criterion = CriterionSpec(id="x", title="X", points=points, checks=["c*"], scheme=scheme)
    assert criterion_points(criterion, results(*outcomes)) == expected


def test_manual_criterion_awaits_a_mark() -> None:
    criterion = CriterionSpec(id="m", title="Commentaire", points=3, manual=True)
    assert criterion_points(criterion, []) == 0


def test_total_over_criteria_matches_checks_by_id() -> None:
    rubric = RubricSpec(
        assignment="a",
        criteria=[
            CriterionSpec(id="one", title="1", points=4, checks=["c0", "c1"]),
            CriterionSpec(id="two", title="2", points=2, checks=["c2"], scheme="all-or-nothing"),
        ],
    )
    criteria, score, max_score = score_rubric(
        rubric, {"one": ["c0", "c1"], "two": ["c2"]}, results(P, F, P)
    )
    assert [c.points for c in criteria] == [2, 2]
    assert (score, max_score) == (4, 6)
    assert [c.id for c in criteria[0].checks] == ["c0", "c1"]
