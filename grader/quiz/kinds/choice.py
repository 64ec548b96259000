"""Single- and multiple-answer questions: options ticked, scored by the scheme's formula."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from markupsafe import Markup

from grader.quiz.answers import RawAnswer
from grader.quiz.kinds.base import SEPARATORS, BadAnswer, PageOptions, Response, Ticks, fold_text
from grader.quiz.kinds.ticked import TickedKind
from grader.quiz.moodle import Out, answer, gift_escape, gift_feedback, html_field, rich
from grader.quiz.richtext import to_html
from grader.quiz.shuffle import FormQuestion, display_label
from grader.quiz.spec import ChoiceQuestion, MultipleChoice
from grader.text import safe_text


class Choice(TickedKind):
    moodle_type = "multichoice"

    def read(
        self, question: ChoiceQuestion, asked: FormQuestion, raw: RawAnswer, displayed: bool
    ) -> Response:
        tokens = raw if isinstance(raw, list) else SEPARATORS.split(str(raw).strip())
        tokens = [token.strip() for token in tokens if token.strip()]
        ticked = {_option(question, asked, token, displayed) for token in tokens}
        return Ticks(frozenset(ticked), ";".join(tokens))

    def read_text(self, question: ChoiceQuestion, text: str) -> Response:
        by_text = {
            fold_text(option.text): oid
            for option, oid in zip(question.options, question.option_ids(), strict=True)
        }
        if fold_text(text) in by_text:
            return Ticks(frozenset({by_text[fold_text(text)]}), text)
        ticked = set()
        for part in text.split("; "):
            if fold_text(part) not in by_text:
                raise BadAnswer(
                    f"no option has the text {safe_text(part, 80)!r}",
                    f"aucune option n'a le texte « {safe_text(part, 80)} »",
                )
            ticked.add(by_text[fold_text(part)])
        return Ticks(frozenset(ticked), text)

    def key(self, question: ChoiceQuestion) -> tuple[str, ...]:
        correct = question.correct_ids()
        return tuple(oid for oid in question.option_ids() if oid in correct)

    def labels(self, question: ChoiceQuestion, option_order: tuple[str, ...]) -> dict[str, str]:
        return {oid: display_label(position) for position, oid in enumerate(option_order)}

    def moodle(self, question: ChoiceQuestion, element: ET.Element, out: Out) -> None:
        single = not isinstance(question, MultipleChoice)
        ET.SubElement(element, "single").text = "true" if single else "false"
        ET.SubElement(element, "shuffleanswers").text = "1" if out.shuffled(question) else "0"
        ET.SubElement(element, "answernumbering").text = "ABCD"
        fractions = out.choice(question)
        for oid, option in zip(question.option_ids(), question.options, strict=True):
            written = answer(element, fractions[oid], rich(option.text, question, True), "html")
            html_field(written, "feedback", rich(option.feedback, question, True))

    def gift(self, question: ChoiceQuestion, out: Out) -> str:
        fractions = out.choice(question)
        out.fixed_in_gift(question)
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
            lines.append(f"\t{mark}{text}{gift_feedback(option.feedback, question)}")
        return "\n" + "\n".join(lines)

    def page(
        self, question: ChoiceQuestion, asked: FormQuestion
    ) -> tuple[PageOptions, dict[str, Any]]:
        by_id = dict(zip(question.option_ids(), question.options, strict=True))
        options = [
            {
                "label": display_label(position),
                "html": Markup(to_html(by_id[oid].text, question.format, True)),
                "feedback": Markup(to_html(by_id[oid].feedback or "", question.format, True)),
            }
            for position, oid in enumerate(asked.option_order)
        ]
        correct = question.correct_ids()
        labels = [asked.label_of(oid) for oid in asked.option_order if oid in correct]
        return options, {"correct": labels}


def _option(question: ChoiceQuestion, asked: FormQuestion, token: str, displayed: bool) -> str:
    if displayed:
        option = asked.option_at(token)
        choices = ", ".join(chr(ord("A") + n) for n in range(len(asked.option_order)))
    else:
        ids = question.option_ids()
        folded = [oid for oid in ids if oid.casefold() == token.casefold()]
        option = token if token in ids else (folded[0] if len(folded) == 1 else None)
        choices = ", ".join(ids)
    if option is None:
        shown = safe_text(token, 40)
        raise BadAnswer(
            f"invalid option '{shown}'; expected one of: {choices}",
            f"option « {shown} » inconnue (options possibles : {choices})",
        )
    return option


CHOICE = Choice()
