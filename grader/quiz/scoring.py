"""Pure scoring of one student's quiz: quiz + form + responses -> QuizResult.

Each question is scored by its scheme (its own, or the quiz's), scaled to its points, and the
total is rescaled to the quiz's `scale` when it has one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from grader.quiz.responses import Invalid, Response, Ticks, Typed, fold_text
from grader.quiz.schemes import (
    ChoiceKey,
    Mark,
    Reason,
    choice_max,
    scale_total,
    score_choice,
    score_typed,
)
from grader.quiz.shuffle import StudentForm, display_label
from grader.quiz.spec import (
    Amc,
    ChoiceQuestion,
    MultipleChoice,
    Numeric,
    Question,
    QuestionBase,
    Quiz,
    Scheme,
    ShortText,
    TrueFalse,
)

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class QuestionResult:
    question_id: str
    kind: str
    position: int  # 1-based, on the student's own form
    points: float
    max_points: float
    reason: Reason
    raw: float  # in the scheme's units, e.g. 4 (of 5) for AMC's default
    raw_max: float
    given: str | None  # what the student wrote, as written
    selected: tuple[str, ...] = ()  # the options ticked, as ids of the key
    displayed: tuple[str, ...] = ()  # the letters of those options on the student's form
    key: tuple[str, ...] = ()  # the correct options, or the accepted answers
    topics: tuple[str, ...] = ()
    option_order: tuple[str, ...] = ()  # the key's option ids as displayed: A, B, C…
    problem: str | None = None  # why an invalid answer could not be read, in French


@dataclass(frozen=True)
class QuizResult:
    quiz_id: str
    student: str
    score: float  # after scaling to the quiz's total
    max_score: float
    raw_score: float  # sum of the questions' points
    raw_max: float
    questions: tuple[QuestionResult, ...]
    status: str = "ok"
    schema_version: int = SCHEMA_VERSION

    @property
    def percent(self) -> float:
        return round(100 * self.score / self.max_score, 2) if self.max_score else 0.0

    def question(self, question_id: str) -> QuestionResult | None:
        return next((q for q in self.questions if q.question_id == question_id), None)


def choice_key(question: ChoiceQuestion | TrueFalse) -> ChoiceKey:
    if isinstance(question, TrueFalse):
        correct = "vrai" if question.answer else "faux"
        return ChoiceKey(("vrai", "faux"), frozenset({correct}), single=True)
    ids = question.option_ids()
    weights = {
        oid: option.weight
        for oid, option in zip(ids, question.options, strict=True)
        if option.weight is not None
    }
    exclusive = {oid for oid, option in zip(ids, question.options, strict=True) if option.exclusive}
    return ChoiceKey(
        tuple(ids),
        question.correct_ids(),
        single=not isinstance(question, MultipleChoice),
        weights=weights or None,
        exclusive=frozenset(exclusive),
    )


def score_question(
    quiz: Quiz,
    question: Question,
    response: Response | None,
    position: int = 1,
    option_order: tuple[str, ...] = (),
) -> QuestionResult:
    scheme = question.scheme or quiz.scheme
    labels = {oid: display_label(n) for n, oid in enumerate(option_order)}
    if isinstance(question, TrueFalse):
        labels = {"vrai": "Vrai", "faux": "Faux"}
    selected: tuple[str, ...] = ()
    given = None
    if isinstance(response, Invalid):
        mark = Mark(0.0, _raw_max(scheme, question), Reason.INVALID)
        given = response.given
        answer_key = _key_of(question)
    elif isinstance(question, ChoiceQuestion | TrueFalse):
        key = choice_key(question)
        ticks = response if isinstance(response, Ticks) else Ticks(frozenset(), "")
        mark = score_choice(scheme, key, ticks.options)
        selected = tuple(oid for oid in key.options if oid in ticks.options)
        given = ticks.given or None
        answer_key = _key_of(question)
    else:
        text = response.text if isinstance(response, Typed) else None
        mark = score_typed(scheme, None if text is None else credit_of(question, text))
        given = text
        answer_key = _key_of(question)
    return QuestionResult(
        question_id=question.id,
        kind=question.kind,
        position=position,
        points=_points(mark, worth(quiz, question)),
        max_points=worth(quiz, question),
        reason=mark.reason,
        raw=round(mark.raw, 6),
        raw_max=mark.raw_max,
        given=given,
        selected=selected,
        displayed=tuple(labels.get(oid, "") for oid in selected),
        key=answer_key,
        topics=tuple(question.topics),
        option_order=option_order,
        problem=response.why if isinstance(response, Invalid) else None,
    )


def worth(quiz: Quiz, question: QuestionBase) -> float:
    """What `question` counts for in the total: its `points`, or, when the quiz's scheme is
    `amc` with `total: amc`, the raw maximum of its own scheme (AMC sums raw question scores)."""
    if isinstance(quiz.scheme, Amc) and quiz.scheme.total == "amc":
        return _raw_max(question.scheme or quiz.scheme, question)
    return question.points


def _key_of(question: Question) -> tuple[str, ...]:
    """The correct options, or the accepted answers."""
    if isinstance(question, ChoiceQuestion | TrueFalse):
        key = choice_key(question)
        return tuple(oid for oid in key.options if oid in key.correct)
    return accepted_answers(question)


def _raw_max(scheme: Scheme, question: QuestionBase) -> float:
    if isinstance(question, ChoiceQuestion | TrueFalse):
        return choice_max(scheme, choice_key(question))
    return score_typed(scheme, None).raw_max


def score_quiz(quiz: Quiz, form: StudentForm, responses: dict[str, Response]) -> QuizResult:
    results = []
    for position, asked in enumerate(form.questions, start=1):
        question = quiz.question(asked.question_id)
        order = asked.option_order
        if isinstance(question, TrueFalse):
            order = ("vrai", "faux")
        results.append(score_question(quiz, question, responses.get(question.id), position, order))
    raw_score = round(sum(r.points for r in results), 6)
    raw_max = round(sum(r.max_points for r in results), 6)
    if quiz.scale is None:
        score, max_score = (raw_score if raw_score > 0 else 0.0), raw_max
    else:
        scale = quiz.scale
        score = scale_total(
            raw_score, raw_max, scale.total, scale.grain, scale.rounding, scale.allow_negative
        )
        max_score = scale.total
    return QuizResult(quiz.id, form.student, score, max_score, raw_score, raw_max, tuple(results))


def _points(mark: Mark, points: float) -> float:
    return round(points * mark.fraction, 6)


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


def credit_of(question: Question, text: str) -> float:
    """The best credit of the accepted answers that `text` matches; 0 if none."""
    if isinstance(question, Numeric):
        value = parse_number(text, question.unit)
        if value is None:
            return 0.0
        credits = [
            answer.credit
            for answer in question.answers
            if abs(value - answer.value)
            <= (answer.tolerance * abs(answer.value) if answer.relative else answer.tolerance)
            + 1e-12 * max(1.0, abs(answer.value))
        ]
        return max(credits, default=0.0)
    if isinstance(question, ShortText):
        rules = question.normalise
        folded = _normalise_text(text, question)
        credits = []
        for answer in question.answers:
            if answer.text is not None and folded == _normalise_text(answer.text, question):
                credits.append(answer.credit)
            if answer.regex is not None:
                flags = re.IGNORECASE if rules.case else 0
                if re.fullmatch(answer.regex, text.strip(), flags):
                    credits.append(answer.credit)
        return max(credits, default=0.0)
    raise TypeError(f"{question.kind} questions are not typed answers")


def _normalise_text(text: str, question: ShortText) -> str:
    rules = question.normalise
    return fold_text(text, rules.case, rules.accents, rules.punctuation, rules.spaces)


def accepted_answers(question: Question) -> tuple[str, ...]:
    if isinstance(question, Numeric):
        shown = []
        for answer in question.answers:
            tolerance = f"{answer.tolerance:g}" + (" (relative)" if answer.relative else "")
            credit = "" if answer.credit == 1 else f" [{answer.credit:.0%}]"
            shown.append(f"{answer.value:g} ± {tolerance}{credit}")
        return tuple(shown)
    if isinstance(question, ShortText):
        return tuple(a.text if a.text is not None else f"/{a.regex}/" for a in question.answers)
    return ()


def result_to_dict(result: QuizResult, title: str = "") -> dict[str, Any]:
    """The per-student quiz JSON: versioned, and every answer mapped back to the key."""
    questions = [
        {
            "question_id": q.question_id,
            "kind": q.kind,
            "position": q.position,
            "points": q.points,
            "max_points": q.max_points,
            "reason": str(q.reason),
            "raw": q.raw,
            "raw_max": q.raw_max,
            "given": q.given,
            "selected": list(q.selected),
            "displayed": list(q.displayed),
            "answer_mapping": dict(zip(q.displayed, q.selected, strict=True)),
            "key": list(q.key),
            "topics": list(q.topics),
            "option_order": list(q.option_order),
            "problem": q.problem,
        }
        for q in result.questions
    ]
    return {
        "schema_version": result.schema_version,
        "kind": "quiz",
        "quiz": result.quiz_id,
        "title": title,
        "student": result.student,
        "score": result.score,
        "max_score": result.max_score,
        "percent": result.percent,
        "raw_score": result.raw_score,
        "raw_max": result.raw_max,
        "status": result.status,
        "questions": questions,
    }
