"""Export a quiz to Moodle XML and GIFT, faithfully or with a warning saying how it differs.

The header of each question is written here, its answers by its kind (grader/quiz/kinds),
with the building blocks of grader/quiz/moodle.py: HTML texts with LaTeX as `\\(…\\)`,
numbers written exactly, choice fractions from the quiz's scheme (grader/quiz/fractions.py).
What Moodle cannot express (a scheme it scores otherwise, a regular expression, a fixed
option) is reported per question rather than silently changed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from grader.quiz.kinds import kind_of, worth
from grader.quiz.moodle import Out, exact_number, gift_escape, html_field, rich
from grader.quiz.spec import Question, Quiz

POOL_INFO = "grader pool: draw {draw}"  # read back by grader/quiz/importers


@dataclass(frozen=True)
class Export:
    text: str
    warnings: tuple[str, ...]


def categories(quiz: Quiz, out: Out) -> list[tuple[str, int | None, list[Question]]]:
    """The quiz's own category, then one sub-category per pool (Moodle draws from categories)."""
    base = f"$course$/{quiz.title}"
    pooled = {qid for pool in quiz.pools for qid in pool.questions}
    grouped: list[tuple[str, int | None, list[Question]]] = [
        (base, None, [q for q in quiz.questions if q.id not in pooled])
    ]
    for pool in quiz.pools:
        name = f"{base}/{pool.id}"
        grouped.append((name, pool.draw, [q for q in quiz.questions if q.id in pool.questions]))
        out.warnings.append(
            f"pool '{pool.id}': its questions are in the category '{name}'; in the Moodle quiz, "
            f"add a random question drawing {pool.draw} from it"
        )
    return grouped


def _out(quiz: Quiz) -> Out:
    return Out(quiz, lambda question: worth(quiz, question))


def to_moodle_xml(quiz: Quiz) -> Export:
    out = _out(quiz)
    root = ET.Element("quiz")
    for category_name, draw, questions in categories(quiz, out):
        category = ET.SubElement(root, "question", type="category")
        ET.SubElement(ET.SubElement(category, "category"), "text").text = category_name
        if draw is not None:
            info = ET.SubElement(category, "info", format="html")
            ET.SubElement(info, "text").text = POOL_INFO.format(draw=draw)
        for question in questions:
            root.append(_moodle_question(question, out))
    ET.indent(root)
    text = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
    return Export(text + "\n", tuple(out.warnings))


def _moodle_question(question: Question, out: Out) -> ET.Element:
    kind = kind_of(question)
    element = ET.Element("question", type=kind.moodle_type)
    ET.SubElement(ET.SubElement(element, "name"), "text").text = question.id
    html_field(element, "questiontext", rich(question.text, question))
    html_field(element, "generalfeedback", rich(question.feedback, question))
    ET.SubElement(element, "defaultgrade").text = exact_number(out.worth(question))
    ET.SubElement(element, "penalty").text = "0.3333333"
    ET.SubElement(element, "hidden").text = "0"
    if question.topics:
        tags = ET.SubElement(element, "tags")
        for topic in question.topics:
            ET.SubElement(ET.SubElement(tags, "tag"), "text").text = topic
    kind.moodle(question, element, out)
    return element


def to_gift(quiz: Quiz) -> Export:
    out = _out(quiz)
    blocks = [f"// {quiz.title}"]
    for category_name, draw, questions in categories(quiz, out):
        blocks.append(f"$CATEGORY: {category_name}")
        if draw is not None:
            blocks[-1] += f"\n// {POOL_INFO.format(draw=draw)}"
        blocks.extend(_gift_question(question, out) for question in questions)
    return Export("\n\n".join(blocks) + "\n", tuple(out.warnings))


def _gift_question(question: Question, out: Out) -> str:
    head = f"// points: {exact_number(out.worth(question))}\n"
    if question.topics:
        head += f"// tags: {' '.join(question.topics)}\n"
    head += f"::{gift_escape(question.id)}::[html]{gift_escape(rich(question.text, question))}"
    general = f"\n####{gift_escape(rich(question.feedback, question))}" if question.feedback else ""
    body = kind_of(question).gift(question, out)
    closing = "}" if "\n" not in body else "\n}"  # one-line blocks: {T}
    return f"{head} {{{body}{general}{closing}"
