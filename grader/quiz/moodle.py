"""Building blocks of the Moodle XML and GIFT exports, shared by every question kind.

`Out` is one export being written: the quiz, what each question is worth, and the warnings
(a weight snapped to Moodle's list, a scheme Moodle scores otherwise…). Texts are HTML with
LaTeX as `\\(…\\)` (grader/quiz/richtext.py says why, from Moodle's source); numbers are
written exactly: integers as integers, other floats with Python's shortest round-trip
digits, never an exponent (Moodle compares numerical answers as written).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from grader.quiz.fractions import choice_fractions, snap_weight, typed_warning
from grader.quiz.richtext import to_html
from grader.quiz.spec import ChoiceQuestion, QuestionBase, Quiz, TrueFalse

GIFT_SPECIAL = str.maketrans({char: f"\\{char}" for char in "~=#{}:\\"})


def exact_number(value: float) -> str:
    """38597376.0 -> '38597376', 0.1 -> '0.1', 1e-07 -> '0.0000001': exact, never `%g`."""
    if float(value).is_integer():
        return str(int(value))
    return format(Decimal(repr(float(value))), "f")


def rich(text: str | None, question: QuestionBase, inline: bool = False) -> str:
    """A text of `question` as the HTML both exports carry."""
    return to_html(text or "", question.format, inline, "tex")


def tolerance_of(value: float, tolerance: float, relative: bool) -> float:
    return tolerance * abs(value) if relative else tolerance


def gift_escape(text: str) -> str:
    """Moodle's escapedchar_pre reads back `\\~ \\= \\# \\{ \\} \\: \\\\` and `\\n`."""
    return text.translate(GIFT_SPECIAL).replace("\n", "\\n")


@dataclass
class Out:
    """One export being written, and every warning it has to give."""

    quiz: Quiz
    worth: Callable[[QuestionBase], float]
    warnings: list[str] = field(default_factory=list)

    def snap(self, question_id: str, what: str, percent: float) -> float:
        snapped = snap_weight(percent)
        if abs(snapped - percent) > 1e-4:
            self.warnings.append(
                f"{question_id}: {what}: weight {percent:.5g} % is not allowed by Moodle, "
                f"exported as {snapped:.5g} %"
            )
        return snapped

    def choice(self, question: ChoiceQuestion | TrueFalse) -> dict[str, float]:
        scheme = question.scheme or self.quiz.scheme
        fractions = choice_fractions(question, scheme, self.worth(question))
        self.warnings.extend(fractions.warnings)
        return fractions.by_option

    def typed(self, question: QuestionBase) -> None:
        scheme = question.scheme or self.quiz.scheme
        self.warnings.extend(typed_warning(question.id, scheme, self.worth(question)))

    def no_regex(self, question_id: str, number: int, where: str) -> None:
        self.warnings.append(
            f"{question_id}: answers[{number}]: a regular expression cannot be exported to "
            f"{where}; left out"
        )

    def shuffled(self, question: ChoiceQuestion) -> bool:
        """Whether Moodle shuffles the options: not when one is `fixed`, said in a warning."""
        return self._shuffles(question) and not self._fixed_lost(
            question,
            "Moodle cannot keep a `fixed` option in place; "
            "answer shuffling is turned off for this question",
        )

    def fixed_in_gift(self, question: ChoiceQuestion) -> None:
        self._fixed_lost(
            question,
            "GIFT cannot keep a `fixed` option in place nor turn "
            "shuffling off; untick 'Shuffle the choices' for it in Moodle",
        )

    def _shuffles(self, question: ChoiceQuestion) -> bool:
        return self.quiz.shuffle.options and question.shuffle

    def _fixed_lost(self, question: ChoiceQuestion, why: str) -> bool:
        """A shuffled question with a `fixed` option: warns `why` and says True."""
        lost = self._shuffles(question) and any(option.fixed for option in question.options)
        if lost:
            self.warnings.append(f"{question.id}: {why}")
        return lost


def html_field(parent: ET.Element, tag: str, html: str) -> None:
    ET.SubElement(ET.SubElement(parent, tag, format="html"), "text").text = html


def answer(parent: ET.Element, fraction: float, text: str, text_format: str) -> ET.Element:
    element = ET.SubElement(parent, "answer", fraction=f"{fraction:.7g}", format=text_format)
    ET.SubElement(element, "text").text = text
    return element


def gift_feedback(feedback: str | None, question: QuestionBase) -> str:
    return f"#{gift_escape(rich(feedback, question, True))}" if feedback else ""
