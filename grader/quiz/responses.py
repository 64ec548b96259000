"""A student's raw answers, checked against the quiz and mapped back to the key's option ids.

Choice answers are option ids of the key (`b;d`) or, with `displayed=True`, the letters the
student saw on their own shuffled form (`A;C`), mapped back through the recorded permutation.
A bad answer (an unknown letter, « peut-être » for vrai/faux) is only that answer's problem: it
becomes an `Invalid` response, scored 0 with its reason in the student's report, and a warning
for the instructor; an answer to an unknown or undrawn question is a warning and is ignored.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from grader.quiz.answers import AnswerSheet, RawAnswer
from grader.quiz.shuffle import FormQuestion, StudentForm
from grader.quiz.spec import ChoiceQuestion, Question, Quiz, TrueFalse
from grader.text import safe_text

TRUE_WORDS = {"vrai", "v", "true", "t", "1", "oui", "yes"}
FALSE_WORDS = {"faux", "f", "false", "0", "non", "no"}
SEPARATORS = re.compile(r"[;,|\s]+")


@dataclass(frozen=True)
class Ticks:
    """The options ticked, as ids of the key, and what the student wrote."""

    options: frozenset[str]
    given: str


@dataclass(frozen=True)
class Typed:
    text: str


@dataclass(frozen=True)
class Invalid:
    """An answer that cannot be read: `why` is shown to the student, in French."""

    given: str
    why: str


Response = Ticks | Typed | Invalid


class BadAnswer(Exception):
    """One answer cannot be read; `french` is what the student reads."""

    def __init__(self, english: str, french: str) -> None:
        super().__init__(english)
        self.french = french


@dataclass(frozen=True)
class Interpreted:
    responses: dict[str, Response]
    warnings: tuple[str, ...]


def interpret(
    quiz: Quiz, form: StudentForm, sheet: AnswerSheet, displayed: bool = False
) -> Interpreted:
    """The non-empty responses of `sheet`, by question id, and a warning per bad answer."""
    warnings: list[str] = []
    answers = _by_position(quiz, sheet, warnings) if sheet.by_position else sheet.answers
    known = quiz.index()
    responses: dict[str, Response] = {}
    for question_id, raw in answers.items():
        if question_id not in known:
            warnings.append(str(sheet.error(f"unknown question id '{question_id}', ignored")))
            continue
        if _is_empty(raw):
            continue
        asked = form.get(question_id)
        if asked is None:
            warnings.append(
                str(
                    sheet.error(
                        f"question '{question_id}' was not drawn for this student, answer ignored",
                        question_id,
                    )
                )
            )
            continue
        question = quiz.question(question_id)
        try:
            if sheet.by_position:
                responses[question_id] = _from_texts(question, raw)
            else:
                responses[question_id] = _response(question, asked, raw, displayed)
        except BadAnswer as bad:
            given = ";".join(raw) if isinstance(raw, list) else str(raw)
            responses[question_id] = Invalid(given, bad.french)
            warnings.append(str(sheet.error(f"{bad}; this answer scores 0", question_id)))
    return Interpreted(responses, tuple(warnings))


def _by_position(quiz: Quiz, sheet: AnswerSheet, warnings: list[str]) -> dict[str, RawAnswer]:
    mapped: dict[str, RawAnswer] = {}
    for position, raw in sheet.answers.items():
        number = int(position) if position.isdigit() else 0
        if not 1 <= number <= len(quiz.questions):
            warnings.append(
                str(sheet.error(f"'Response {position}' has no question {position} in the quiz"))
            )
            continue
        mapped[quiz.questions[number - 1].id] = raw
    return mapped


def _is_empty(raw: RawAnswer) -> bool:
    if raw is None:
        return True
    if isinstance(raw, list):
        return not any(item.strip() for item in raw)
    return isinstance(raw, str) and not raw.strip()


def _response(question: Question, asked: FormQuestion, raw: RawAnswer, displayed: bool) -> Response:
    if isinstance(question, TrueFalse):
        word = str(raw).strip().casefold()
        if word in TRUE_WORDS:
            return Ticks(frozenset({"vrai"}), str(raw))
        if word in FALSE_WORDS:
            return Ticks(frozenset({"faux"}), str(raw))
        raise BadAnswer(
            f"expected vrai or faux, got {safe_text(str(raw), 80)!r}",
            f"réponse illisible : « {safe_text(str(raw), 80)} » (attendu : vrai ou faux)",
        )
    if isinstance(question, ChoiceQuestion):
        tokens = raw if isinstance(raw, list) else SEPARATORS.split(str(raw).strip())
        tokens = [token.strip() for token in tokens if token.strip()]
        ticked = {_option(question, asked, token, displayed) for token in tokens}
        given = ";".join(tokens)
        return Ticks(frozenset(ticked), given)
    return Typed(str(raw).strip())


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


def _from_texts(question: Question, raw: RawAnswer) -> Response:
    """Moodle writes the chosen options' texts, joined by '; '."""
    text = str(raw).strip()
    if isinstance(question, TrueFalse):
        word = text.casefold()
        if word in TRUE_WORDS:
            return Ticks(frozenset({"vrai"}), text)
        if word in FALSE_WORDS:
            return Ticks(frozenset({"faux"}), text)
        raise BadAnswer(
            f"expected True or False, got {safe_text(text, 80)!r}",
            f"réponse illisible : « {safe_text(text, 80)} » (attendu : vrai ou faux)",
        )
    if not isinstance(question, ChoiceQuestion):
        return Typed(text)
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


def fold_text(
    text: str,
    case: bool = True,
    accents: bool = True,
    punctuation: bool = False,
    spaces: bool = True,
) -> str:
    """Text as compared with an accepted answer: each rule can be turned off."""
    folded = text.casefold() if case else text
    if accents:
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    if punctuation:
        folded = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in folded)
    return " ".join(folded.split()) if spaces else folded.strip()
