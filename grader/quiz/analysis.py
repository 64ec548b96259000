"""Item analysis of a scored class: which questions worked.

Per item: facility, standard deviation, discrimination as the item–rest correlation (Moodle's
discrimination index), option frequencies overall and in the upper and lower 27 % by rest
score. For the test: Cronbach's α, KR-20 on right/wrong items, standard error of measurement.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from grader.quiz.kinds import worth
from grader.quiz.kinds.base import choice_key
from grader.quiz.schemes import Reason
from grader.quiz.scoring import QuizResult
from grader.quiz.spec import ChoiceQuestion, Quiz, TrueFalse

GROUP_SHARE = 0.27
TOO_EASY = 0.9
TOO_HARD = 0.2
UNUSED = 0.05

Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True)
class OptionStats:
    option_id: str
    correct: bool
    frequency: float  # share of the students asked who ticked it
    upper: float  # the same share in the upper group (by rest score)
    lower: float

    @property
    def upper_minus_lower(self) -> float:
        return self.upper - self.lower


@dataclass(frozen=True)
class ItemStats:
    question_id: str
    kind: str
    topics: tuple[str, ...]
    attempts: int  # students to whom the question was asked
    facility: float  # mean points / max points, 0..1
    sd: float  # of the points, as a share of max points
    discrimination: float | None  # item–rest correlation; None if either has no variance
    empty: float  # share of students who left it empty
    options: tuple[OptionStats, ...]
    flags: tuple[str, ...]


@dataclass(frozen=True)
class TestStats:
    students: int
    items: int
    mean: float  # of the raw scores
    median: float
    sd: float
    raw_max: float
    alpha: float | None  # Cronbach's α over the questions asked to everyone
    kr20: float | None  # α on right (1) / not right (0) items
    sem: float | None  # sd · sqrt(1 − α)


@dataclass(frozen=True)
class ItemAnalysis:
    quiz_id: str
    test: TestStats
    items: tuple[ItemStats, ...]
    percents: tuple[float, ...]  # each student's percentage, for the distribution plot


def analyse(quiz: Quiz, results: Sequence[QuizResult]) -> ItemAnalysis:
    ids = [question.id for question in quiz.questions]
    column = {qid: position for position, qid in enumerate(ids)}
    points = np.full((len(results), len(ids)), np.nan)
    right = np.full((len(results), len(ids)), np.nan)
    for row, result in enumerate(results):
        for question in result.questions:
            points[row, column[question.question_id]] = question.points / question.max_points
            right[row, column[question.question_id]] = question.reason == Reason.OK
    totals = np.array([result.raw_score for result in results], dtype=float)
    items = tuple(_item(quiz, results, position, points, totals) for position in range(len(ids)))
    complete = ~np.isnan(points).any(axis=0)
    maxima = np.array([worth(quiz, question) for question in quiz.questions])
    weighted = points[:, complete] * maxima[complete]
    alpha = cronbach_alpha(weighted)
    sd = float(np.std(totals, ddof=1)) if len(results) > 1 else 0.0
    test = TestStats(
        students=len(results),
        items=len(ids),
        mean=float(np.mean(totals)) if len(results) else 0.0,
        median=float(np.median(totals)) if len(results) else 0.0,
        sd=sd,
        raw_max=quiz.max_points(lambda question: worth(quiz, question)),
        alpha=alpha,
        kr20=cronbach_alpha(right[:, complete]),
        sem=sd * math.sqrt(1 - alpha) if alpha is not None and alpha <= 1 else None,
    )
    percents = tuple(result.percent for result in results)
    return ItemAnalysis(quiz.id, test, items, percents)


def cronbach_alpha(scores: Matrix) -> float | None:
    """α = k/(k−1) · (1 − Σ var(item) / var(total)); KR-20 when items are 0/1."""
    students, k = scores.shape
    if k < 2 or students < 2:
        return None
    total_variance = float(np.var(scores.sum(axis=1), ddof=1))
    if total_variance <= 0:
        return None
    item_variance = float(np.var(scores, axis=0, ddof=1).sum())
    return float(k / (k - 1) * (1 - item_variance / total_variance))


def correlation(x: Matrix, y: Matrix) -> float | None:
    if len(x) < 2:
        return None
    dx, dy = x - x.mean(), y - y.mean()
    denominator = math.sqrt(float((dx * dx).sum() * (dy * dy).sum()))
    return float((dx * dy).sum()) / denominator if denominator > 1e-12 else None


def _item(
    quiz: Quiz, results: Sequence[QuizResult], position: int, points: Matrix, totals: Matrix
) -> ItemStats:
    question = quiz.questions[position]
    asked = ~np.isnan(points[:, position])
    fractions = points[asked, position]
    rest = totals[asked] - fractions * worth(quiz, question)
    attempts = int(asked.sum())
    facility = float(fractions.mean()) if attempts else 0.0
    sd = float(np.std(fractions, ddof=1)) if attempts > 1 else 0.0
    discrimination = correlation(fractions, rest)
    rows = [row for row in range(len(results)) if asked[row]]
    answered = [results[row].question(question.id) for row in rows]
    empty = sum(1 for a in answered if a is not None and a.reason == Reason.EMPTY)
    options: tuple[OptionStats, ...] = ()
    if isinstance(question, ChoiceQuestion | TrueFalse) and attempts:
        key = choice_key(question)
        ticked = np.array(
            [[oid in (a.selected if a else ()) for oid in key.options] for a in answered],
            dtype=bool,
        ).reshape(attempts, len(key.options))
        upper, lower = _groups(rest)
        options = tuple(
            OptionStats(
                option_id=oid,
                correct=oid in key.correct,
                frequency=float(ticked[:, n].mean()),
                upper=float(ticked[upper, n].mean()) if len(upper) else 0.0,
                lower=float(ticked[lower, n].mean()) if len(lower) else 0.0,
            )
            for n, oid in enumerate(key.options)
        )
    flags = _flags(facility, discrimination, options, attempts)
    return ItemStats(
        question_id=question.id,
        kind=question.kind,
        topics=tuple(question.topics),
        attempts=attempts,
        facility=facility,
        sd=sd,
        discrimination=discrimination,
        empty=empty / attempts if attempts else 0.0,
        options=options,
        flags=flags,
    )


def _groups(rest: Matrix) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Indices of the upper and lower 27 % by rest score (ties broken by position)."""
    size = round(GROUP_SHARE * len(rest))
    if size == 0:
        return np.array([], dtype=np.intp), np.array([], dtype=np.intp)
    order = np.argsort(rest, kind="stable")
    return order[-size:], order[:size]


def _flags(
    facility: float, discrimination: float | None, options: tuple[OptionStats, ...], attempts: int
) -> tuple[str, ...]:
    if attempts == 0:
        return ("not-asked",)
    flags = []
    if discrimination is not None and discrimination < 0:
        flags.append("negative-discrimination")
    if facility > TOO_EASY:
        flags.append("too-easy")
    if facility < TOO_HARD:
        flags.append("too-hard")
    for option in options:
        if not option.correct and option.frequency < UNUSED:
            flags.append(f"unused-distractor:{option.option_id}")
        if option.correct and option.upper_minus_lower < 0:
            flags.append(f"check-key:{option.option_id}")
    return tuple(flags)
