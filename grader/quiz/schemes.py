"""Scoring schemes as pure functions: a key and a student's ticks -> a mark and its reason.

Formulas and defaults are those of AMC, Moodle and R/exams.
A mark is in the scheme's own units (`raw` out of `raw_max`, e.g. 4 of 5 for AMC's default);
the caller scales it to the question's points.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from grader.quiz.spec import AllOrNothing, Amc, AmcHaut, Moodle, Negative, RExams, Scheme

EPSILON = 1e-9


class Reason(StrEnum):
    OK = "ok"  # full marks
    PARTIAL = "partial"  # some credit, not all
    WRONG = "wrong"  # no credit, or a penalty
    EMPTY = "empty"  # nothing answered
    INCOHERENT = "incoherent"  # two ticks on a single answer, or « aucune » with another box
    INVALID = "invalid"  # unreadable (an unknown letter…): 0, with its reason shown


@dataclass(frozen=True)
class Mark:
    raw: float
    raw_max: float
    reason: Reason

    @property
    def fraction(self) -> float:
        return self.raw / self.raw_max if self.raw_max else 0.0


@dataclass(frozen=True)
class ChoiceKey:
    """What scoring needs to know about a choice question."""

    options: tuple[str, ...]
    correct: frozenset[str]
    single: bool
    weights: Mapping[str, float] | None = None  # Moodle percentages, by option id
    exclusive: frozenset[str] = frozenset()


def score_choice(scheme: Scheme, key: ChoiceKey, ticked: frozenset[str]) -> Mark:
    raw_max = choice_max(scheme, key)
    if not ticked:
        return Mark(scheme.v if isinstance(scheme, Amc) else 0.0, raw_max, Reason.EMPTY)
    incoherent = (key.single and len(ticked) > 1) or (
        len(ticked) > 1 and bool(ticked & key.exclusive)
    )
    if incoherent:
        return Mark(scheme.e if isinstance(scheme, Amc) else 0.0, raw_max, Reason.INCOHERENT)
    raw = _choice_raw(scheme, key, ticked)
    return Mark(raw, raw_max, _reason(raw, raw_max))


def choice_max(scheme: Scheme, key: ChoiceKey) -> float:
    if isinstance(scheme, Amc):
        return scheme.b if key.single else len(key.options) * scheme.b + scheme.d
    if isinstance(scheme, AmcHaut):
        return scheme.haut
    return 1.0


def _choice_raw(scheme: Scheme, key: ChoiceKey, ticked: frozenset[str]) -> float:
    right = len(ticked & key.correct)
    wrong = len(ticked - key.correct)
    missed = len(key.correct - ticked)
    if isinstance(scheme, AllOrNothing):
        return 1.0 if ticked == key.correct else scheme.wrong
    if isinstance(scheme, Amc):
        if key.single:
            return scheme.b if ticked == key.correct else scheme.m
        errors = wrong + missed
        raw = (len(key.options) - errors) * scheme.b + errors * scheme.m + scheme.d
        return max(raw, scheme.p) if scheme.p is not None else raw
    if isinstance(scheme, AmcHaut):
        return max(0.0, scheme.haut - (wrong + missed))
    if isinstance(scheme, Moodle):
        weights = moodle_weights(key)
        total = sum(weights[option] for option in ticked) / 100
        # a single-answer question scores its option's fraction, negative too; a multiple one
        # is clamped to [0, 1] (qtype_multichoice_single/multi_question::grade_response)
        return min(1.0, total) if key.single else min(1.0, max(0.0, total))
    if isinstance(scheme, RExams):
        raw = right / len(key.correct) + wrong * rexams_penalty(scheme, key)
        return max(raw, scheme.floor)
    if isinstance(scheme, Negative):
        raw = (right - scheme.penalty * wrong) / len(key.correct)
        return max(raw, scheme.floor)
    raise TypeError(f"unknown scheme {scheme!r}")


def moodle_weights(key: ChoiceKey) -> dict[str, float]:
    """Each option's percentage: as written, else ±100/nc (multiple) or 100/0 (single)."""
    given = key.weights or {}
    nc = len(key.correct)
    weights = {}
    for option in key.options:
        if option in given:
            weights[option] = given[option]
        elif option in key.correct:
            weights[option] = 100 / nc
        else:
            weights[option] = 0.0 if key.single else -100 / nc
    return weights


def rexams_penalty(scheme: RExams, key: ChoiceKey) -> float:
    """The (negative) value of one wrong tick under R/exams' `rule`."""
    nw = len(key.options) - len(key.correct)
    nc = len(key.correct)
    if scheme.rule == "false":
        return -1 / nw if nw else 0.0
    if scheme.rule == "false2":
        return -1 / max(nw, 2)
    if scheme.rule == "true":
        return -1 / nc
    if scheme.rule == "all":
        return -1.0
    return 0.0


def score_typed(scheme: Scheme, credit: float | None) -> Mark:
    """A numeric or short-text answer: `credit` in (0, 1] if it matched, 0 if not, None if empty."""
    if isinstance(scheme, Amc):
        raw_max = scheme.b
        if credit is None:
            return Mark(scheme.v, raw_max, Reason.EMPTY)
        raw = scheme.b * credit if credit > 0 else scheme.m
    else:
        raw_max = scheme.haut if isinstance(scheme, AmcHaut) else 1.0
        if credit is None:
            return Mark(0.0, raw_max, Reason.EMPTY)
        if credit > 0:
            raw = raw_max * credit
        elif isinstance(scheme, AllOrNothing):
            raw = scheme.wrong
        elif isinstance(scheme, Negative):
            raw = max(-scheme.penalty, scheme.floor)
        else:
            raw = 0.0
    return Mark(raw, raw_max, _reason(raw, raw_max))


def _reason(raw: float, raw_max: float) -> Reason:
    if raw >= raw_max - EPSILON:
        return Reason.OK
    return Reason.PARTIAL if raw > EPSILON else Reason.WRONG


def scale_total(
    raw: float, raw_max: float, total: float, grain: float, rounding: str, allow_negative: bool
) -> float:
    """AMC's global scaling: raw/raw_max x total, rounded to `grain`, capped to [0, total]."""
    if raw_max <= 0:
        return 0.0
    scaled = raw / raw_max * total
    steps = scaled / grain
    if rounding == "down":
        rounded = _floor(steps + EPSILON)
    elif rounding == "up":
        rounded = -_floor(-steps + EPSILON)
    else:
        rounded = _floor(steps + 0.5 + EPSILON)
    result = min(total, rounded * grain)
    result = result if allow_negative else max(0.0, result)
    return round(result, 10)


def _floor(value: float) -> int:
    whole = int(value)
    return whole - 1 if value < whole else whole
