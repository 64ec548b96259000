"""Every question kind of the quiz models has its code in grader/quiz/kinds, and only those."""

from __future__ import annotations

import typing

from grader.quiz.kinds import KINDS
from grader.quiz.spec import Question


def test_every_kind_of_the_question_union_is_registered() -> None:
    union = typing.get_args(typing.get_args(Question)[0])  # Annotated[A | B | …, Field(…)]
    declared = {typing.get_args(model.model_fields["kind"].annotation)[0] for model in union}
    assert declared == set(KINDS)
    assert {kind.moodle_type for kind in KINDS.values()} == {
        "multichoice",
        "truefalse",
        "numerical",
        "shortanswer",
    }
