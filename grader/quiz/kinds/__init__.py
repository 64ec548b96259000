"""Question kinds behind one protocol (grader/quiz/kinds/base.py:Kind), one module each.

Reading an answer, marking it, the key shown in a report, the Moodle XML and GIFT answers and
a student's page all go through `kind_of(question)`, so a new kind is its model in
grader/quiz/spec.py's `Question` union, its module here and one line in `KINDS`;
tests/test_quiz_kinds.py fails if a kind of the union has no entry or an entry no kind.
"""

from __future__ import annotations

from typing import Any

from grader.quiz.kinds.base import Kind
from grader.quiz.kinds.choice import CHOICE
from grader.quiz.kinds.numeric import NUMERIC
from grader.quiz.kinds.short_text import SHORT_TEXT
from grader.quiz.kinds.true_false import TRUE_FALSE
from grader.quiz.spec import Amc, QuestionBase, Quiz

KINDS: dict[str, Kind[Any]] = {
    "single": CHOICE,
    "multiple": CHOICE,
    "true-false": TRUE_FALSE,
    "numeric": NUMERIC,
    "short-text": SHORT_TEXT,
}


def kind_of(question: QuestionBase) -> Kind[Any]:
    return KINDS[question.kind]


def worth(quiz: Quiz, question: QuestionBase) -> float:
    """What `question` counts for in the total: its `points`, or, when the quiz's scheme is
    `amc` with `total: amc`, the raw maximum of its own scheme (AMC sums raw question scores)."""
    if isinstance(quiz.scheme, Amc) and quiz.scheme.total == "amc":
        return kind_of(question).raw_max(question, question.scheme or quiz.scheme)
    return question.points


__all__ = ["KINDS", "Kind", "kind_of", "worth"]
