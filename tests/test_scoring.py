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


X = Outcome.CHECK_ERROR
C = "carried"  # failed on the student's own run, passed with the upstream's reference


def graded(*outcomes: Outcome | str) -> list[CheckResult]:
    return [
        CheckResult(f"c{i}", F, Phase.CHECK, "", carried_from="softmax")
        if o == C
        else CheckResult(f"c{i}", Outcome(o), Phase.CHECK, "")
        for i, o in enumerate(outcomes)
    ]


@pytest.mark.parametrize(
    ("scheme", "carry_forward", "outcomes", "points", "held_back"),
    [
        ("proportional", True, [P, C, F, F], 4, 0),  # « erreur reportée » counts as passed
        ("proportional", False, [P, C, F, F], 2, 0),  # unless the rubric says otherwise
        ("proportional", True, [P, X, F, F], 2, 2),  # a check's own error: held back, not lost
        ("proportional", True, [X, X], 0, 8),
        ("all-or-nothing", True, [P, X], 0, 8),  # would it pass, the whole criterion is at stake
        ("all-or-nothing", True, [F, X], 0, 0),  # lost anyway: nothing to hold back
        ("all-or-nothing", True, [P, C], 8, 0),
    ],
)
def test_carried_and_held_back_points(
    scheme: str,
    carry_forward: bool,
    outcomes: list[Outcome | str],
    points: float,
    held_back: float,
) -> None:
    criterion = CriterionSpec(
        id="x", title="X", points=8, checks=["c*"], scheme=scheme, carry_forward=carry_forward
    )
    rubric = RubricSpec(assignment="a", criteria=[criterion])
    ids = [f"c{i}" for i in range(len(outcomes))]
    (scored,), score, _ = score_rubric(rubric, {"x": ids}, graded(*outcomes))
    assert (scored.points, scored.held_back, score) == (points, held_back, points)
    assert scored.carried(scored.checks[1]) is (outcomes[1] == C and carry_forward)
