"""What numeric and short-text questions share: a typed answer, marked by its best credit."""

from __future__ import annotations

from collections.abc import Callable

from grader.quiz.answers import RawAnswer
from grader.quiz.kinds.base import Marked, Response, Typed
from grader.quiz.schemes import score_typed
from grader.quiz.shuffle import FormQuestion
from grader.quiz.spec import QuestionBase, Scheme


class TypedKind:
    """Reading a typed answer (its text, no option to label) and its scheme's maximum."""

    def read(
        self, question: QuestionBase, asked: FormQuestion, raw: RawAnswer, displayed: bool
    ) -> Response:
        return Typed(str(raw).strip())

    def read_text(self, question: QuestionBase, text: str) -> Response:
        return Typed(text.strip())

    def labels(self, question: QuestionBase, option_order: tuple[str, ...]) -> dict[str, str]:
        return {}

    def raw_max(self, question: QuestionBase, scheme: Scheme) -> float:
        return score_typed(scheme, None).raw_max


def mark_typed(scheme: Scheme, response: Response | None, credit: Callable[[str], float]) -> Marked:
    """`credit` in (0, 1] if the text matched an accepted answer, 0 if not; empty if no text."""
    text = response.text if isinstance(response, Typed) else None
    return Marked(score_typed(scheme, None if text is None else credit(text)), text)
