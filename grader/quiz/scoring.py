"""Pure scoring of one student's quiz: quiz + form + responses -> QuizResult.

Each question is marked by its kind (grader/quiz/kinds) under its scheme (its own, or the
quiz's), scaled to what it is worth, and the total is rescaled to the quiz's `scale` when it
has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grader.quiz.kinds import kind_of, worth
from grader.quiz.kinds.base import Invalid, Marked, Response
from grader.quiz.schemes import Mark, Reason, scale_total
from grader.quiz.shuffle import StudentForm
from grader.quiz.spec import Question, Quiz

__all__ = ["QuestionResult", "QuizResult", "result_to_dict", "score_question", "score_quiz"]

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


def score_question(
    quiz: Quiz,
    question: Question,
    response: Response | None,
    position: int = 1,
    option_order: tuple[str, ...] = (),
) -> QuestionResult:
    scheme = question.scheme or quiz.scheme
    kind = kind_of(question)
    labels = kind.labels(question, option_order)
    if isinstance(response, Invalid):
        marked = Marked(Mark(0.0, kind.raw_max(question, scheme), Reason.INVALID), response.given)
    else:
        marked = kind.mark(question, scheme, response)
    mark, selected = marked.mark, marked.selected
    return QuestionResult(
        question_id=question.id,
        kind=question.kind,
        position=position,
        points=_points(mark, worth(quiz, question)),
        max_points=worth(quiz, question),
        reason=mark.reason,
        raw=round(mark.raw, 6),
        raw_max=mark.raw_max,
        given=marked.given,
        selected=selected,
        displayed=tuple(labels.get(oid, "") for oid in selected),
        key=kind.key(question),
        topics=tuple(question.topics),
        option_order=tuple(labels),
        problem=response.why if isinstance(response, Invalid) else None,
    )


def score_quiz(quiz: Quiz, form: StudentForm, responses: dict[str, Response]) -> QuizResult:
    results = []
    for position, asked in enumerate(form.questions, start=1):
        question = quiz.question(asked.question_id)
        response = responses.get(question.id)
        results.append(score_question(quiz, question, response, position, asked.option_order))
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
