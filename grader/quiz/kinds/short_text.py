"""Short-text questions: accepted texts (compared after normalising) or regular expressions."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from grader.quiz.kinds.base import Marked, PageOptions, Response, fold_text
from grader.quiz.kinds.typed import TypedKind, mark_typed
from grader.quiz.moodle import Out, answer, gift_escape, gift_feedback, html_field, rich
from grader.quiz.shuffle import FormQuestion
from grader.quiz.spec import Scheme, ShortText


class ShortTextKind(TypedKind):
    moodle_type = "shortanswer"

    def mark(self, question: ShortText, scheme: Scheme, response: Response | None) -> Marked:
        return mark_typed(scheme, response, lambda text: credit_of(question, text))

    def key(self, question: ShortText) -> tuple[str, ...]:
        return tuple(a.text if a.text is not None else f"/{a.regex}/" for a in question.answers)

    def moodle(self, question: ShortText, element: ET.Element, out: Out) -> None:
        out.typed(question)
        ET.SubElement(element, "usecase").text = "0" if question.normalise.case else "1"
        for number, accepted in enumerate(question.answers):
            if accepted.text is None:
                out.no_regex(question.id, number, "Moodle")
                continue
            fraction = out.snap(question.id, f"answers[{number}]", 100 * accepted.credit)
            written = answer(element, fraction, accepted.text, "moodle_auto_format")
            html_field(written, "feedback", rich(accepted.feedback, question))

    def gift(self, question: ShortText, out: Out) -> str:
        out.typed(question)
        parts = []
        for number, accepted in enumerate(question.answers):
            if accepted.text is None:
                out.no_regex(question.id, number, "GIFT")
                continue
            fraction = out.snap(question.id, f"answers[{number}]", 100 * accepted.credit)
            mark = "=" if fraction == 100 else f"=%{fraction:.7g}%"
            feedback = gift_feedback(accepted.feedback, question)
            parts.append(f"\t{mark}{gift_escape(accepted.text)}{feedback}")
        return "\n" + "\n".join(parts)

    def page(self, question: ShortText, asked: FormQuestion) -> tuple[PageOptions, dict[str, Any]]:
        return [], {
            "texts": [fold_text(a.text) for a in question.answers if a.text is not None],
            "patterns": [a.regex for a in question.answers if a.regex is not None],
        }


def credit_of(question: ShortText, text: str) -> float:
    """The best credit of the accepted answers that `text` matches; 0 if none."""
    rules = question.normalise
    folded = _normalised(text, question)
    credits = []
    for accepted in question.answers:
        if accepted.text is not None and folded == _normalised(accepted.text, question):
            credits.append(accepted.credit)
        if accepted.regex is not None:
            flags = re.IGNORECASE if rules.case else 0
            if re.fullmatch(accepted.regex, text.strip(), flags):
                credits.append(accepted.credit)
    return max(credits, default=0.0)


def _normalised(text: str, question: ShortText) -> str:
    rules = question.normalise
    return fold_text(text, rules.case, rules.accents, rules.punctuation, rules.spaces)


SHORT_TEXT = ShortTextKind()
