"""A student's raw answers, checked against the quiz and mapped back to the key's option ids.

Choice answers are option ids of the key (`b;d`) or, with `displayed=True`, the letters the
student saw on their own shuffled form (`A;C`), mapped back through the recorded permutation.
A bad answer (an unknown letter, « peut-être » for vrai/faux) is only that answer's problem: it
becomes an `Invalid` response, scored 0 with its reason in the student's report, and a warning
for the instructor; an answer to an unknown or undrawn question is a warning and is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.quiz.answers import AnswerSheet, RawAnswer
from grader.quiz.kinds import kind_of
from grader.quiz.kinds.base import BadAnswer, Invalid, Response, Ticks, Typed, fold_text
from grader.quiz.shuffle import StudentForm
from grader.quiz.spec import Quiz

__all__ = ["Interpreted", "Invalid", "Response", "Ticks", "Typed", "fold_text", "interpret"]


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
            kind = kind_of(question)
            if sheet.by_position:  # Moodle writes the chosen options' texts
                responses[question_id] = kind.read_text(question, str(raw).strip())
            else:
                responses[question_id] = kind.read(question, asked, raw, displayed)
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
