"""Export a quiz to Moodle XML and GIFT, faithfully or with a warning saying how it differs.

Texts are HTML with LaTeX as `\\(…\\)` (grader/quiz/richtext.py says why, from Moodle's source),
sanitised by the same allow-list as grader's own pages. Numbers are written exactly: integers
as integers, other floats with Python's shortest round-trip digits, never an exponent (Moodle's
numerical answers are compared as written). Choice fractions come from the quiz's scheme
(grader/quiz/fractions.py); what Moodle cannot express (a scheme it scores otherwise, a regular
expression, a fixed option) is reported per question rather than silently changed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal

from grader.quiz.fractions import choice_fractions, snap_weight, typed_warning
from grader.quiz.richtext import to_html
from grader.quiz.scoring import worth
from grader.quiz.spec import (
    ChoiceQuestion,
    MultipleChoice,
    Numeric,
    Question,
    QuestionBase,
    Quiz,
    ShortText,
    TrueFalse,
)

POOL_INFO = "grader pool: draw {draw}"  # read back by grader/quiz/importers.py


@dataclass(frozen=True)
class Export:
    text: str
    warnings: tuple[str, ...]


def exact_number(value: float) -> str:
    """38597376.0 -> '38597376', 0.1 -> '0.1', 1e-07 -> '0.0000001': exact, never `%g`."""
    if float(value).is_integer():
        return str(int(value))
    return format(Decimal(repr(float(value))), "f")


class _Weights:
    """Snaps the credits of typed answers and remembers every warning of the export."""

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

    def choice(self, quiz: Quiz, question: ChoiceQuestion | TrueFalse) -> dict[str, float]:
        scheme = question.scheme or quiz.scheme
        fractions = choice_fractions(question, scheme, worth(quiz, question))
        self.warnings.extend(fractions.warnings)
        return fractions.by_option

    def typed(self, quiz: Quiz, question: Numeric | ShortText) -> None:
        self.warnings.extend(
            typed_warning(question.id, question.scheme or quiz.scheme, worth(quiz, question))
        )


def categories(quiz: Quiz, weights: _Weights) -> list[tuple[str, int | None, list[Question]]]:
    """The quiz's own category, then one sub-category per pool (Moodle draws from categories)."""
    base = f"$course$/{quiz.title}"
    pooled = {qid for pool in quiz.pools for qid in pool.questions}
    grouped: list[tuple[str, int | None, list[Question]]] = [
        (base, None, [q for q in quiz.questions if q.id not in pooled])
    ]
    for pool in quiz.pools:
        name = f"{base}/{pool.id}"
        grouped.append((name, pool.draw, [q for q in quiz.questions if q.id in pool.questions]))
        weights.warnings.append(
            f"pool '{pool.id}': its questions are in the category '{name}'; in the Moodle quiz, "
            f"add a random question drawing {pool.draw} from it"
        )
    return grouped


def rich(text: str | None, question: QuestionBase, inline: bool = False) -> str:
    """A text of `question` as the HTML both exports carry."""
    return to_html(text or "", question.format, inline, "tex")


def tolerance_of(value: float, tolerance: float, relative: bool) -> float:
    return tolerance * abs(value) if relative else tolerance


def to_moodle_xml(quiz: Quiz) -> Export:
    weights = _Weights()
    root = ET.Element("quiz")
    for category_name, draw, questions in categories(quiz, weights):
        category = ET.SubElement(root, "question", type="category")
        ET.SubElement(ET.SubElement(category, "category"), "text").text = category_name
        if draw is not None:
            info = ET.SubElement(category, "info", format="html")
            ET.SubElement(info, "text").text = POOL_INFO.format(draw=draw)
        for question in questions:
            root.append(_moodle_question(question, quiz, weights))
    ET.indent(root)
    text = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
    return Export(text + "\n", tuple(weights.warnings))


MOODLE_TYPES = {
    "single": "multichoice",
    "multiple": "multichoice",
    "true-false": "truefalse",
    "numeric": "numerical",
    "short-text": "shortanswer",
}


def _moodle_question(question: Question, quiz: Quiz, weights: _Weights) -> ET.Element:
    element = ET.Element("question", type=MOODLE_TYPES[question.kind])
    ET.SubElement(ET.SubElement(element, "name"), "text").text = question.id
    _html(element, "questiontext", rich(question.text, question))
    _html(element, "generalfeedback", rich(question.feedback, question))
    ET.SubElement(element, "defaultgrade").text = exact_number(worth(quiz, question))
    ET.SubElement(element, "penalty").text = "0.3333333"
    ET.SubElement(element, "hidden").text = "0"
    if question.topics:
        tags = ET.SubElement(element, "tags")
        for topic in question.topics:
            ET.SubElement(ET.SubElement(tags, "tag"), "text").text = topic
    if isinstance(question, ChoiceQuestion):
        _moodle_choices(element, question, quiz, weights)
    elif isinstance(question, TrueFalse):
        fractions = weights.choice(quiz, question)
        for word, oid, feedback in (
            ("true", "vrai", question.feedback_true),
            ("false", "faux", question.feedback_false),
        ):
            answer = _answer(element, fractions[oid], word, "moodle_auto_format")
            _html(answer, "feedback", rich(feedback, question))
    elif isinstance(question, Numeric):
        weights.typed(quiz, question)
        for number, accepted in enumerate(question.answers):
            fraction = weights.snap(question.id, f"answers[{number}]", 100 * accepted.credit)
            answer = _answer(element, fraction, exact_number(accepted.value), "moodle_auto_format")
            _html(answer, "feedback", rich(accepted.feedback, question))
            tolerance = tolerance_of(accepted.value, accepted.tolerance, accepted.relative)
            ET.SubElement(answer, "tolerance").text = exact_number(tolerance)
    elif isinstance(question, ShortText):
        weights.typed(quiz, question)
        ET.SubElement(element, "usecase").text = "0" if question.normalise.case else "1"
        for number, text_answer in enumerate(question.answers):
            if text_answer.text is None:
                weights.warnings.append(
                    f"{question.id}: answers[{number}]: a regular expression cannot be "
                    "exported to Moodle; left out"
                )
                continue
            fraction = weights.snap(question.id, f"answers[{number}]", 100 * text_answer.credit)
            answer = _answer(element, fraction, text_answer.text, "moodle_auto_format")
            _html(answer, "feedback", rich(text_answer.feedback, question))
    return element


def _moodle_choices(
    element: ET.Element, question: ChoiceQuestion, quiz: Quiz, weights: _Weights
) -> None:
    single = not isinstance(question, MultipleChoice)
    ET.SubElement(element, "single").text = "true" if single else "false"
    ET.SubElement(element, "shuffleanswers").text = (
        "1" if _shuffled(question, quiz, weights) else "0"
    )
    ET.SubElement(element, "answernumbering").text = "ABCD"
    fractions = weights.choice(quiz, question)
    for oid, option in zip(question.option_ids(), question.options, strict=True):
        answer = _answer(element, fractions[oid], rich(option.text, question, True), "html")
        _html(answer, "feedback", rich(option.feedback, question, True))


def _shuffled(question: ChoiceQuestion, quiz: Quiz, weights: _Weights) -> bool:
    shuffled = quiz.shuffle.options and question.shuffle
    if shuffled and any(option.fixed for option in question.options):
        weights.warnings.append(
            f"{question.id}: Moodle cannot keep a `fixed` option in place; "
            "answer shuffling is turned off for this question"
        )
        return False
    return shuffled


def _html(parent: ET.Element, tag: str, html: str) -> None:
    ET.SubElement(ET.SubElement(parent, tag, format="html"), "text").text = html


def _answer(parent: ET.Element, fraction: float, text: str, text_format: str) -> ET.Element:
    answer = ET.SubElement(parent, "answer", fraction=f"{fraction:.7g}", format=text_format)
    ET.SubElement(answer, "text").text = text
    return answer


# --- GIFT --------------------------------------------------------------------------------

GIFT_SPECIAL = str.maketrans({char: f"\\{char}" for char in "~=#{}:\\"})


def gift_escape(text: str) -> str:
    """Moodle's escapedchar_pre reads back `\\~ \\= \\# \\{ \\} \\: \\\\` and `\\n`."""
    return text.translate(GIFT_SPECIAL).replace("\n", "\\n")


def to_gift(quiz: Quiz) -> Export:
    weights = _Weights()
    blocks = [f"// {quiz.title}"]
    for category_name, draw, questions in categories(quiz, weights):
        blocks.append(f"$CATEGORY: {category_name}")
        if draw is not None:
            blocks[-1] += f"\n// {POOL_INFO.format(draw=draw)}"
        blocks.extend(_gift_question(question, quiz, weights) for question in questions)
    return Export("\n\n".join(blocks) + "\n", tuple(weights.warnings))


def _gift_question(question: Question, quiz: Quiz, weights: _Weights) -> str:
    head = f"// points: {exact_number(worth(quiz, question))}\n"
    if question.topics:
        head += f"// tags: {' '.join(question.topics)}\n"
    head += f"::{gift_escape(question.id)}::[html]{gift_escape(rich(question.text, question))}"
    general = f"\n####{gift_escape(rich(question.feedback, question))}" if question.feedback else ""
    if isinstance(question, ChoiceQuestion):
        lines = _gift_choices(question, quiz, weights)
        return head + " {\n" + "\n".join(lines) + general + "\n}"
    if isinstance(question, TrueFalse):
        weights.choice(quiz, question)
        return f"{head} {{{'T' if question.answer else 'F'}{general}}}"
    if isinstance(question, Numeric):
        weights.typed(quiz, question)
        parts = []
        for number, accepted in enumerate(question.answers):
            fraction = weights.snap(question.id, f"answers[{number}]", 100 * accepted.credit)
            tolerance = tolerance_of(accepted.value, accepted.tolerance, accepted.relative)
            feedback = _gift_feedback(accepted.feedback, question)
            parts.append(
                f"\t=%{fraction:.7g}%{exact_number(accepted.value)}:{exact_number(tolerance)}"
                f"{feedback}"
            )
        return head + " {#\n" + "\n".join(parts) + general + "\n}"
    if isinstance(question, ShortText):
        weights.typed(quiz, question)
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
            feedback = _gift_feedback(text_answer.feedback, question)
            parts.append(f"\t{mark}{gift_escape(text_answer.text)}{feedback}")
        return head + " {\n" + "\n".join(parts) + general + "\n}"
    raise TypeError(f"cannot export {question.kind}")


def _gift_choices(question: ChoiceQuestion, quiz: Quiz, weights: _Weights) -> list[str]:
    fractions = weights.choice(quiz, question)
    _shuffled(question, quiz, weights)
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
        text = gift_escape(rich(option.text, question, True))
        lines.append(f"\t{mark}{text}{_gift_feedback(option.feedback, question)}")
    return lines


def _gift_feedback(feedback: str | None, question: QuestionBase) -> str:
    return f"#{gift_escape(rich(feedback, question, True))}" if feedback else ""
