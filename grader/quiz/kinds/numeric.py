"""Numeric questions: accepted values with an absolute or relative tolerance and a credit."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from typing import Any

from grader.quiz.kinds.base import Marked, PageOptions, Response
from grader.quiz.kinds.typed import TypedKind, mark_typed
from grader.quiz.moodle import (
    Out,
    answer,
    exact_number,
    gift_feedback,
    html_field,
    rich,
    tolerance_of,
)
from grader.quiz.shuffle import FormQuestion
from grader.quiz.spec import Numeric, Scheme


class NumericKind(TypedKind):
    moodle_type = "numerical"

    def mark(self, question: Numeric, scheme: Scheme, response: Response | None) -> Marked:
        return mark_typed(scheme, response, lambda text: credit_of(question, text))

    def key(self, question: Numeric) -> tuple[str, ...]:
        shown = []
        for accepted in question.answers:
            tolerance = f"{accepted.tolerance:g}" + (" (relative)" if accepted.relative else "")
            credit = "" if accepted.credit == 1 else f" [{accepted.credit:.0%}]"
            shown.append(f"{accepted.value:g} ± {tolerance}{credit}")
        return tuple(shown)

    def moodle(self, question: Numeric, element: ET.Element, out: Out) -> None:
        out.typed(question)
        for number, accepted in enumerate(question.answers):
            fraction = out.snap(question.id, f"answers[{number}]", 100 * accepted.credit)
            written = answer(element, fraction, exact_number(accepted.value), "moodle_auto_format")
            html_field(written, "feedback", rich(accepted.feedback, question))
            tolerance = tolerance_of(accepted.value, accepted.tolerance, accepted.relative)
            ET.SubElement(written, "tolerance").text = exact_number(tolerance)

    def gift(self, question: Numeric, out: Out) -> str:
        out.typed(question)
        parts = []
        for number, accepted in enumerate(question.answers):
            fraction = out.snap(question.id, f"answers[{number}]", 100 * accepted.credit)
            tolerance = tolerance_of(accepted.value, accepted.tolerance, accepted.relative)
            parts.append(
                f"\t=%{fraction:.7g}%{exact_number(accepted.value)}:{exact_number(tolerance)}"
                f"{gift_feedback(accepted.feedback, question)}"
            )
        return "#\n" + "\n".join(parts)

    def page(self, question: Numeric, asked: FormQuestion) -> tuple[PageOptions, dict[str, Any]]:
        numbers = [
            [a.value, tolerance_of(a.value, a.tolerance, a.relative)] for a in question.answers
        ]
        return [], {"numbers": numbers}


def parse_number(text: str, unit: str | None = None) -> float | None:
    """'3,14', '1 822', '0.5 s' -> a float; None if it is not a number."""
    cleaned = text.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if unit and cleaned.endswith(unit.replace(" ", "")):
        cleaned = cleaned[: -len(unit.replace(" ", ""))]
    if "," in cleaned and "." not in cleaned and cleaned.count(",") == 1:
        cleaned = cleaned.replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def credit_of(question: Numeric, text: str) -> float:
    """The best credit of the accepted values `text` is close enough to; 0 if none."""
    value = parse_number(text, question.unit)
    if value is None:
        return 0.0
    credits = [
        accepted.credit
        for accepted in question.answers
        if abs(value - accepted.value)
        <= tolerance_of(accepted.value, accepted.tolerance, accepted.relative)
        + 1e-12 * max(1.0, abs(accepted.value))
    ]
    return max(credits, default=0.0)


NUMERIC = NumericKind()
