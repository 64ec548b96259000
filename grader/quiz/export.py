"""Export a quiz to Moodle XML and GIFT.

Moodle accepts only a fixed list of answer percentages; a weight that is not in it is snapped
to the nearest allowed one, and the export says so in a warning. What Moodle cannot express
(regular expressions in short answers) is left out with a warning rather than silently.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from grader.quiz.schemes import moodle_weights
from grader.quiz.scoring import choice_key
from grader.quiz.spec import (
    ChoiceQuestion,
    MultipleChoice,
    Numeric,
    Question,
    Quiz,
    ShortText,
    TrueFalse,
)

# question_bank::fraction_options_full, as percentages
MOODLE_FRACTIONS = (
    100,
    90,
    83.33333,
    80,
    75,
    70,
    66.66667,
    60,
    50,
    40,
    33.33333,
    30,
    25,
    20,
    16.66667,
    14.28571,
    12.5,
    11.11111,
    10,
    5,
    0,
)
ALLOWED = tuple(sorted({sign * value for value in MOODLE_FRACTIONS for sign in (1, -1)}))
INLINE_MATH = re.compile(r"(?<!\$)\$(?!\s)([^$\n]+?)(?<!\s)\$(?!\$)")


@dataclass(frozen=True)
class Export:
    text: str
    warnings: tuple[str, ...]


def snap_weight(percent: float) -> float:
    """The allowed Moodle percentage closest to `percent`."""
    return min(ALLOWED, key=lambda allowed: abs(allowed - percent))


class _Weights:
    """Snaps weights and remembers every change as a warning."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    def snap(self, question_id: str, what: str, percent: float) -> float:
        snapped = snap_weight(percent)
        if abs(snapped - percent) > 1e-4:
            self.warnings.append(
                f"{question_id}: {what}: weight {percent:.5g} % is not allowed by Moodle, "
                f"exported as {snapped:.5g} %"
            )
        return snapped


def _option_weights(question: ChoiceQuestion, weights: _Weights) -> dict[str, float]:
    return {
        oid: weights.snap(question.id, f"option {oid}", value)
        for oid, value in moodle_weights(choice_key(question)).items()
    }


def categories(quiz: Quiz, weights: _Weights) -> list[tuple[str, list[Question]]]:
    """The quiz's own category, then one sub-category per pool (Moodle draws from categories)."""
    base = f"$course$/{quiz.title}"
    pooled = {qid for pool in quiz.pools for qid in pool.questions}
    grouped = [(base, [q for q in quiz.questions if q.id not in pooled])]
    for pool in quiz.pools:
        name = f"{base}/{pool.id}"
        grouped.append((name, [q for q in quiz.questions if q.id in pool.questions]))
        weights.warnings.append(
            f"pool '{pool.id}': its questions are in the category '{name}'; in the Moodle quiz, "
            f"add a random question drawing {pool.draw} from it"
        )
    return grouped


def moodle_text(text: str) -> str:
    """Markdown for Moodle's MathJax filter: inline $x$ becomes \\(x\\); $$…$$ is kept."""
    return INLINE_MATH.sub(lambda match: f"\\({match.group(1)}\\)", text)


def to_moodle_xml(quiz: Quiz) -> Export:
    weights = _Weights()
    root = ET.Element("quiz")
    for category_name, questions in categories(quiz, weights):
        category = ET.SubElement(ET.SubElement(root, "question", type="category"), "category")
        ET.SubElement(category, "text").text = category_name
        for question in questions:
            root.append(_moodle_question(question, quiz, weights))
    ET.indent(root)
    text = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
    return Export(text + "\n", tuple(weights.warnings))


def _moodle_question(question: Question, quiz: Quiz, weights: _Weights) -> ET.Element:
    kinds = {
        "single": "multichoice",
        "multiple": "multichoice",
        "true-false": "truefalse",
        "numeric": "numerical",
        "short-text": "shortanswer",
    }
    element = ET.Element("question", type=kinds[question.kind])
    ET.SubElement(ET.SubElement(element, "name"), "text").text = question.id
    _rich(element, "questiontext", question.text)
    _rich(element, "generalfeedback", question.feedback or "")
    ET.SubElement(element, "defaultgrade").text = f"{question.points:g}"
    ET.SubElement(element, "penalty").text = "0.3333333"
    ET.SubElement(element, "hidden").text = "0"
    if question.topics:
        tags = ET.SubElement(element, "tags")
        for topic in question.topics:
            ET.SubElement(ET.SubElement(tags, "tag"), "text").text = topic
    if isinstance(question, ChoiceQuestion):
        single = not isinstance(question, MultipleChoice)
        ET.SubElement(element, "single").text = "true" if single else "false"
        shuffled = quiz.shuffle.options and question.shuffle
        if shuffled and any(option.fixed for option in question.options):
            weights.warnings.append(
                f"{question.id}: Moodle cannot keep a `fixed` option in place; "
                "answer shuffling is turned off for this question"
            )
            shuffled = False
        ET.SubElement(element, "shuffleanswers").text = "1" if shuffled else "0"
        ET.SubElement(element, "answernumbering").text = "ABCD"
        fractions = _option_weights(question, weights)
        for oid, option in zip(question.option_ids(), question.options, strict=True):
            _answer(element, fractions[oid], option.text, option.feedback)
    elif isinstance(question, TrueFalse):
        _answer(
            element,
            100 if question.answer else 0,
            "true",
            question.feedback_true,
            "moodle_auto_format",
        )
        _answer(
            element,
            0 if question.answer else 100,
            "false",
            question.feedback_false,
            "moodle_auto_format",
        )
    elif isinstance(question, Numeric):
        for number, accepted in enumerate(question.answers):
            tolerance = (
                accepted.tolerance * abs(accepted.value)
                if accepted.relative
                else accepted.tolerance
            )
            fraction = weights.snap(question.id, f"answers[{number}]", 100 * accepted.credit)
            answer = _answer(
                element, fraction, f"{accepted.value:g}", accepted.feedback, "moodle_auto_format"
            )
            ET.SubElement(answer, "tolerance").text = f"{tolerance:g}"
    elif isinstance(question, ShortText):
        ET.SubElement(element, "usecase").text = "0" if question.normalise.case else "1"
        for number, text_answer in enumerate(question.answers):
            if text_answer.text is None:
                weights.warnings.append(
                    f"{question.id}: answers[{number}]: a regular expression cannot be "
                    "exported to Moodle; left out"
                )
                continue
            fraction = weights.snap(question.id, f"answers[{number}]", 100 * text_answer.credit)
            _answer(element, fraction, text_answer.text, text_answer.feedback, "moodle_auto_format")
    return element


def _rich(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(ET.SubElement(parent, tag, format="markdown"), "text").text = moodle_text(text)


def _answer(
    parent: ET.Element,
    fraction: float,
    text: str,
    feedback: str | None,
    text_format: str = "markdown",
) -> ET.Element:
    answer = ET.SubElement(parent, "answer", fraction=f"{fraction:.7g}", format=text_format)
    ET.SubElement(answer, "text").text = moodle_text(text)
    if feedback:
        _rich(answer, "feedback", feedback)
    return answer


# --- GIFT --------------------------------------------------------------------------------


def gift_escape(text: str) -> str:
    escaped = re.sub(r"([~=#{}:\\])", r"\\\1", moodle_text(text))
    return escaped.replace("\n", "\\n")


def to_gift(quiz: Quiz) -> Export:
    weights = _Weights()
    blocks = [f"// {quiz.title}"]
    for category_name, questions in categories(quiz, weights):
        blocks.append(f"$CATEGORY: {category_name}")
        blocks.extend(_gift_question(question, weights) for question in questions)
    return Export("\n\n".join(blocks) + "\n", tuple(weights.warnings))


def _gift_question(question: Question, weights: _Weights) -> str:
    head = f"::{gift_escape(question.id)}::[markdown]{gift_escape(question.text)}"
    general = f"\n####{gift_escape(question.feedback)}" if question.feedback else ""
    if isinstance(question, ChoiceQuestion):
        fractions = _option_weights(question, weights)
        single = not isinstance(question, MultipleChoice)
        lines = []
        for oid, option in zip(question.option_ids(), question.options, strict=True):
            fraction = fractions[oid]
            if single and fraction == 100:
                mark = "="
            elif single and fraction == 0:
                mark = "~"
            else:
                mark = f"~%{fraction:.7g}%"
            feedback = f"#{gift_escape(option.feedback)}" if option.feedback else ""
            lines.append(f"\t{mark}{gift_escape(option.text)}{feedback}")
        return head + " {\n" + "\n".join(lines) + general + "\n}"
    if isinstance(question, TrueFalse):
        return f"{head} {{{'T' if question.answer else 'F'}{general}}}"
    if isinstance(question, Numeric):
        parts = []
        for number, numeric_answer in enumerate(question.answers):
            tolerance = (
                numeric_answer.tolerance * abs(numeric_answer.value)
                if numeric_answer.relative
                else numeric_answer.tolerance
            )
            fraction = weights.snap(question.id, f"answers[{number}]", 100 * numeric_answer.credit)
            feedback = f"#{gift_escape(numeric_answer.feedback)}" if numeric_answer.feedback else ""
            parts.append(f"\t=%{fraction:.7g}%{numeric_answer.value:g}:{tolerance:g}{feedback}")
        return head + " {#\n" + "\n".join(parts) + general + "\n}"
    if isinstance(question, ShortText):
        parts = []
        for number, text_answer in enumerate(question.answers):
            if text_answer.text is None:
                weights.warnings.append(
                    f"{question.id}: answers[{number}]: a regular expression cannot be "
                    "exported to GIFT; left out"
                )
                continue
            fraction = weights.snap(question.id, f"answers[{number}]", 100 * text_answer.credit)
            mark = "=" if fraction == 100 else f"=%{fraction:.7g}%"
            parts.append(f"\t{mark}{gift_escape(text_answer.text)}")
        return head + " {\n" + "\n".join(parts) + general + "\n}"
    raise TypeError(f"cannot export {question.kind}")
