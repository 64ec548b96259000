"""The indicative total of a self-check: what the public checks earn, and what is still to come.

A self-check runs the public checks only. Its total is public points over public points, then
the points that grading adds: the hidden checks' share and the manually marked criteria, out
of the assignment's full total. A criterion's points are shared among its checks in
proportion to their number, so a criterion with 1 public check and 4 hidden ones puts a fifth
of its points in the public total (all-or-nothing criteria too: the share is only indicative).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from grader.assignment.load import Assignment
from grader.formats import Lang
from grader.messages import Message, points, say
from grader.results import CheckResult, Outcome
from grader.scoring.score import criterion_points


@dataclass(frozen=True)
class Indicative:
    points: float  # earned by the public checks
    public_max: float
    hidden_max: float  # the hidden checks' share, decided at grading
    manual_max: float  # criteria the instructor marks
    total: float  # the assignment's full total

    def line(self, lang: Lang = "fr") -> str:
        """« Note indicative : 12 / 12 sur les vérifications publiques ; 4 points de ... »."""
        text = say("selfcheck.total", points=points(self.points), public=points(self.public_max))
        to_come = []
        if self.hidden_max:
            to_come.append(say("selfcheck.hidden_to_come", points=points(self.hidden_max)))
        if self.manual_max:
            to_come.append(say("selfcheck.manual_to_come", points=points(self.manual_max)))
        if to_come:
            text = say(
                "selfcheck.to_come", total=text, items=Message("join.and", {"items": to_come})
            )
        return say("selfcheck.out_of", text=text, total=points(self.total)).text(lang)


def indicative(assignment: Assignment, results: Sequence[CheckResult]) -> Indicative:
    """The indicative total of `results`, a self-check's outcomes (hidden checks skipped)."""
    by_id = {r.id: r for r in results if r.outcome is not Outcome.SKIPPED}
    checks, hidden = assignment.criterion_checks(), assignment.hidden_checks()
    points = public_max = hidden_max = manual_max = 0.0
    for criterion in assignment.rubric.criteria:
        if criterion.manual:
            manual_max += criterion.points
            continue
        public = [by_id[i] for i in checks[criterion.id] if i in by_id]
        counted = len(public) + len(hidden[criterion.id])
        share = criterion.points * len(public) / counted if counted else 0.0
        public_max += share
        hidden_max += criterion.points - share
        if public:
            points += criterion_points(criterion, public) * len(public) / counted
    total = sum(c.points for c in assignment.rubric.criteria)
    return Indicative(
        round(points, 2), round(public_max, 2), round(hidden_max, 2), round(manual_max, 2), total
    )
