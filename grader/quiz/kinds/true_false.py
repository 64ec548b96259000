"""True/false questions: scored as a single-answer question with the options vrai and faux."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from markupsafe import Markup

from grader.quiz.answers import RawAnswer
from grader.quiz.kinds.base import FALSE_WORDS, TRUE_WORDS, BadAnswer, PageOptions, Response, Ticks
from grader.quiz.kinds.ticked import TickedKind
from grader.quiz.moodle import Out, answer, gift_feedback, html_field, rich
from grader.quiz.richtext import to_html
from grader.quiz.shuffle import FormQuestion
from grader.quiz.spec import TrueFalse
from grader.text import safe_text


class TrueOrFalse(TickedKind):
    moodle_type = "truefalse"

    def read(
        self, question: TrueFalse, asked: FormQuestion, raw: RawAnswer, displayed: bool
    ) -> Response:
        return _word(str(raw), "vrai ou faux")

    def read_text(self, question: TrueFalse, text: str) -> Response:
        return _word(text, "True ou False")

    def key(self, question: TrueFalse) -> tuple[str, ...]:
        return ("vrai",) if question.answer else ("faux",)

    def labels(self, question: TrueFalse, option_order: tuple[str, ...]) -> dict[str, str]:
        return {"vrai": "Vrai", "faux": "Faux"}  # never shuffled

    def moodle(self, question: TrueFalse, element: ET.Element, out: Out) -> None:
        fractions = out.choice(question)
        for word, oid, feedback in (
            ("true", "vrai", question.feedback_true),
            ("false", "faux", question.feedback_false),
        ):
            written = answer(element, fractions[oid], word, "moodle_auto_format")
            html_field(written, "feedback", rich(feedback, question))

    def gift(self, question: TrueFalse, out: Out) -> str:
        """`T#shown if wrong#shown if right`, as Moodle's GIFT reader splits it."""
        out.choice(question)
        right, wrong = question.feedback_true, question.feedback_false
        if not question.answer:
            right, wrong = wrong, right
        feedback = ""
        if right or wrong:
            feedback = gift_feedback(wrong, question) or "#"
            feedback += gift_feedback(right, question)
        return ("T" if question.answer else "F") + feedback

    def page(self, question: TrueFalse, asked: FormQuestion) -> tuple[PageOptions, dict[str, Any]]:
        options = [
            {
                "label": label,
                "html": label,
                "feedback": Markup(to_html(feedback or "", question.format)),
            }
            for label, feedback in (
                ("Vrai", question.feedback_true),
                ("Faux", question.feedback_false),
            )
        ]
        return options, {"correct": ["Vrai" if question.answer else "Faux"]}


def _word(text: str, expected: str) -> Ticks:
    word = text.strip().casefold()
    if word in TRUE_WORDS:
        return Ticks(frozenset({"vrai"}), text)
    if word in FALSE_WORDS:
        return Ticks(frozenset({"faux"}), text)
    shown = safe_text(text, 80)
    english = expected.replace(" ou ", " or ")
    raise BadAnswer(
        f"expected {english}, got {shown!r}",
        f"réponse illisible : « {shown} » (attendu : {expected})",
    )


TRUE_FALSE = TrueOrFalse()
