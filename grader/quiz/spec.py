"""The QCM bank read from `quizzes/<id>.yaml`: questions, options, pools and scoring schemes.

Every model is a strict, frozen `Spec`; question kinds and scoring schemes are discriminated
unions on `kind`. Cross-field rules (unique ids, a correct option, pools naming real questions)
are checked after parsing so each message can point at the YAML line.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from grader.specfile import Loaded, Spec, load_spec, parse_spec

Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]


# --- scoring schemes (AMC's, Moodle's and R/exams' formulas) -----------------------------


class AllOrNothing(Spec):
    """Full points for exactly the right set of options, else `wrong` (AMC `mz`)."""

    kind: Literal["all-or-nothing"]
    wrong: float = 0


class Amc(Spec):
    """AMC default: each well-handled option is worth `b`, each error `m`; plus `d`, floor `p`.

    `total` says how questions add up. `points` (the default): each question's AMC score is
    rescaled to its `points`, so 4 boxes of 5 handled well are 0.8 of a 1-point question, and
    a simple and a multiple question weigh the same. `amc`: each question counts its raw AMC
    score out of its AMC maximum (`b` for a simple question, N·b + d for a multiple one, like
    AMC's `Scoring.pm`), the quiz's total is their sum, and `scale` turns it into a mark as
    AMC's `note` does; a question's `points` is then meaningless and refused.
    """

    kind: Literal["amc"]
    total: Literal["points", "amc"] = "points"
    b: float = 1
    m: float = 0
    e: float = 0  # incoherent answer
    v: float = 0  # empty answer
    d: float = 0
    p: float | None = None  # floor of a multiple-answer question


class AmcHaut(Spec):
    """AMC `haut=x`: x for a perfect answer, minus one per error, never below 0."""

    kind: Literal["amc-haut"]
    haut: float = Field(gt=0)


class Moodle(Spec):
    """Moodle multichoice: the sum of the ticked options' weights, clamped to [0, 1]."""

    kind: Literal["moodle"]


class RExams(Spec):
    """R/exams `exams_eval`: +1/nc per right tick, a rule-given penalty per wrong tick."""

    kind: Literal["rexams"]
    rule: Literal["false2", "false", "true", "all", "none"] = "false2"
    floor: float = Field(default=0, le=0)


class Negative(Spec):
    """Negative marking: +1/nc per right tick, -penalty/nc per wrong tick, never below `floor`."""

    kind: Literal["negative"]
    penalty: float = Field(default=0.25, ge=0)
    floor: float = Field(default=0, le=0)


Scheme = Annotated[
    AllOrNothing | Amc | AmcHaut | Moodle | RExams | Negative, Field(discriminator="kind")
]


# --- questions ---------------------------------------------------------------------------


class Option(Spec):
    id: Id | None = None  # defaults to a, b, c… in the order written
    text: str
    correct: bool = False
    weight: float | None = Field(default=None, ge=-100, le=100)  # Moodle percentage
    feedback: str | None = None
    fixed: bool = False  # never moved by shuffling, e.g. « aucune de ces réponses »
    exclusive: bool = False  # ticking it with any other option is incoherent


class QuestionBase(Spec):
    kind: str  # each kind narrows it to its Literal; grader/quiz/kinds maps it to its code
    id: Id
    text: str  # markdown, with LaTeX between $…$ or $$…$$
    format: Literal["markdown", "html"] = "markdown"  # of every text of the question
    points: float = Field(default=1, gt=0)
    topics: tuple[str, ...] = ()
    feedback: str | None = None  # the explanation shown after answering
    scheme: Scheme | None = None  # overrides the quiz's scheme


class ChoiceQuestion(QuestionBase):
    shuffle: bool = True
    options: tuple[Option, ...] = Field(min_length=2)

    def option_ids(self) -> list[str]:
        return list(self._option_ids)

    def correct_ids(self) -> frozenset[str]:
        return self._correct_ids

    @cached_property
    def _option_ids(self) -> tuple[str, ...]:
        return tuple(option_id(self, index) for index in range(len(self.options)))

    @cached_property
    def _correct_ids(self) -> frozenset[str]:
        return frozenset(
            option_id(self, index) for index, option in enumerate(self.options) if option.correct
        )


class SingleChoice(ChoiceQuestion):
    kind: Literal["single"]


class MultipleChoice(ChoiceQuestion):
    kind: Literal["multiple"]


class TrueFalse(QuestionBase):
    kind: Literal["true-false"]
    answer: bool
    feedback_true: str | None = None
    feedback_false: str | None = None


class NumericAnswer(Spec):
    value: float
    tolerance: float = Field(default=0, ge=0)
    relative: bool = False  # tolerance is a fraction of |value|
    credit: float = Field(default=1, gt=0, le=1)
    feedback: str | None = None


class Numeric(QuestionBase):
    kind: Literal["numeric"]
    answers: tuple[NumericAnswer, ...] = Field(min_length=1)
    unit: str | None = None  # shown next to the input; a unit typed by the student is ignored


class TextAnswer(Spec):
    text: str | None = None
    regex: str | None = None
    credit: float = Field(default=1, gt=0, le=1)
    feedback: str | None = None


class Normalise(Spec):
    case: bool = True
    accents: bool = True
    punctuation: bool = True
    spaces: bool = True


class ShortText(QuestionBase):
    kind: Literal["short-text"]
    answers: tuple[TextAnswer, ...] = Field(min_length=1)
    normalise: Normalise = Normalise()


Question = Annotated[
    SingleChoice | MultipleChoice | TrueFalse | Numeric | ShortText, Field(discriminator="kind")
]


class Pool(Spec):
    """Each student answers `draw` questions drawn from `questions`."""

    id: Id
    draw: int = Field(gt=0)
    questions: tuple[Id, ...] = Field(min_length=1)


class Scale(Spec):
    """The raw total rescaled to `total`, rounded to a multiple of `grain`."""

    total: float = Field(gt=0)
    grain: float = Field(default=0.01, gt=0)
    rounding: Literal["nearest", "down", "up"] = "nearest"
    allow_negative: bool = False


class Shuffle(Spec):
    questions: bool = True
    options: bool = True


class Quiz(Spec):
    id: Id
    title: str
    description: str | None = None
    scheme: Scheme = Field(default_factory=lambda: Amc(kind="amc"))
    scale: Scale | None = None
    shuffle: Shuffle = Shuffle()
    pools: tuple[Pool, ...] = ()
    questions: tuple[Question, ...]

    def question(self, question_id: str) -> Question:
        return self.questions[self.positions[question_id]]

    def index(self) -> dict[str, int]:
        return dict(self.positions)

    @cached_property
    def positions(self) -> dict[str, int]:
        """Question id -> position; computed once, the quiz being frozen."""
        return {question.id: position for position, question in enumerate(self.questions)}

    def max_points(self, worth: Callable[[Question], float] = lambda q: q.points) -> float:
        """The raw maximum of a whole form (pools count `draw` times their dearest question);
        `worth` is what a question counts for (grader/quiz/scoring.py:worth)."""
        pooled = {qid for pool in self.pools for qid in pool.questions}
        total = sum(worth(q) for q in self.questions if q.id not in pooled)
        for pool in self.pools:
            points = sorted((worth(self.question(qid)) for qid in pool.questions), reverse=True)
            total += sum(points[: pool.draw])
        return total


def option_id(question: ChoiceQuestion, index: int) -> str:
    written = question.options[index].id
    return written if written is not None else string.ascii_lowercase[index]


def load_quiz(path: str | Path) -> Loaded[Quiz]:
    """Read and validate a quiz; raise ConfigError naming file:line:field if anything is off."""
    loaded = load_spec(Quiz, path)
    _check(loaded)
    return loaded


def parse_quiz(text: str, path: str | Path = "quiz.yaml") -> Loaded[Quiz]:
    loaded = parse_spec(Quiz, text, path)
    _check(loaded)
    return loaded


def _check(loaded: Loaded[Quiz]) -> None:
    quiz = loaded.spec
    if not quiz.questions:
        raise loaded.error(("questions",), "a quiz needs at least one question")
    seen: set[str] = set()
    for position, question in enumerate(quiz.questions):
        where: tuple[int | str, ...] = ("questions", position)
        if question.id in seen:
            raise loaded.error((*where, "id"), f"duplicate question id '{question.id}'")
        seen.add(question.id)
        _check_total(loaded, question, where)
        if isinstance(question, SingleChoice | MultipleChoice):
            _check_choice(loaded, question, where)
        if isinstance(question, ShortText):
            for number, answer in enumerate(question.answers):
                _check_text_answer(loaded, answer, (*where, "answers", number))
    pooled: set[str] = set()
    for position, pool in enumerate(quiz.pools):
        for number, qid in enumerate(pool.questions):
            loc = ("pools", position, "questions", number)
            if qid not in seen:
                raise loaded.error(loc, f"unknown question '{qid}'")
            if qid in pooled:
                raise loaded.error(loc, f"question '{qid}' is already in a pool")
            pooled.add(qid)
        if pool.draw > len(pool.questions):
            raise loaded.error(
                ("pools", position, "draw"),
                f"cannot draw {pool.draw} of {len(pool.questions)} questions",
            )


def _check_total(loaded: Loaded[Quiz], question: Question, where: tuple[int | str, ...]) -> None:
    if isinstance(question.scheme, Amc) and "total" in question.scheme.model_fields_set:
        raise loaded.error((*where, "scheme", "total"), "`total` belongs to the quiz's scheme")
    scheme = loaded.spec.scheme
    if isinstance(scheme, Amc) and scheme.total == "amc" and "points" in question.model_fields_set:
        raise loaded.error(
            (*where, "points"),
            "with `total: amc` a question counts its raw AMC score; remove `points` "
            "(or use the default `total: points`)",
        )


def _check_choice(
    loaded: Loaded[Quiz], question: SingleChoice | MultipleChoice, where: tuple[int | str, ...]
) -> None:
    ids = question.option_ids()
    for number, oid in enumerate(ids):
        if oid in ids[:number]:
            raise loaded.error((*where, "options", number, "id"), f"duplicate option id '{oid}'")
    correct = question.correct_ids()
    if not correct:
        raise loaded.error((*where, "options"), "no option is marked `correct: true`")
    if isinstance(question, SingleChoice) and len(correct) > 1:
        raise loaded.error(
            (*where, "options"),
            f"a single-choice question has {len(correct)} correct options; use kind: multiple",
        )


def _check_text_answer(
    loaded: Loaded[Quiz], answer: TextAnswer, loc: tuple[int | str, ...]
) -> None:
    if (answer.text is None) == (answer.regex is None):
        raise loaded.error(loc, "give exactly one of `text` or `regex`")
    if answer.regex is not None:
        try:
            re.compile(answer.regex)
        except re.error as exc:
            raise loaded.error((*loc, "regex"), f"invalid regular expression: {exc}") from None
