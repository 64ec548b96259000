"""What single, multiple and true/false questions share: ticks marked against a choice key."""

from __future__ import annotations

from grader.quiz.kinds.base import Marked, Response, Ticks, choice_key
from grader.quiz.schemes import choice_max, score_choice
from grader.quiz.spec import ChoiceQuestion, Scheme, TrueFalse


class TickedKind:
    """The marking of a kind whose answer is ticks (true/false ticks `vrai` or `faux`)."""

    def mark(
        self, question: ChoiceQuestion | TrueFalse, scheme: Scheme, response: Response | None
    ) -> Marked:
        key = choice_key(question)
        ticks = response if isinstance(response, Ticks) else Ticks(frozenset(), "")
        selected = tuple(oid for oid in key.options if oid in ticks.options)
        return Marked(score_choice(scheme, key, ticks.options), ticks.given or None, selected)

    def raw_max(self, question: ChoiceQuestion | TrueFalse, scheme: Scheme) -> float:
        return choice_max(scheme, choice_key(question))
