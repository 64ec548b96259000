"""Moodle answer fractions computed from the quiz's own scheme, and what Moodle would score apart.

Moodle scores a single-answer question with the fraction of the option ticked, a multiple-answer
one with the sum of the ticked options' fractions clamped to [0, 1] (qtype_multichoice), a
numerical or short answer with the fraction of the answer matched (0 if none). Each fraction
must be one of `question_bank::fraction_options_full`, a single-answer question needs an option
at 100 % and the positive fractions of a multiple-answer one must add up to 100 % (Moodle's
edit form, rounded to the hundredth). So:

- a single-answer question gets, per option, exactly the mark grader gives for ticking it;
- a multiple-answer question gets, per correct option, what leaving it out of the perfect answer
  costs, and per wrong option what adding it to the perfect answer costs: exact for every scheme
  that is additive then clamped (`moodle`, `rexams` and `negative` with a floor of 0); for the
  others these are scaled so that the positive ones add up to 100 %, as Moodle requires;
- then every tick pattern is scored both ways (grader's `score_choice`, Moodle's rule on the
  exported fractions) and the largest difference is reported in points, with the pattern, so the
  instructor knows what students would get in Moodle (`amc`, `amc-haut`, `all-or-nothing`,
  « aucune de ces réponses » options, fractions snapped to Moodle's list).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import chain, combinations

from grader.quiz.kinds.base import choice_key
from grader.quiz.schemes import ChoiceKey, moodle_weights, score_choice, score_typed
from grader.quiz.spec import ChoiceQuestion, Moodle, Scheme, TrueFalse

# question_bank::fraction_options_full, as percentages
MOODLE_FRACTIONS = (
    100,
    90,
    83.33333,
    80,
    75,
    70,
    66.66667,
    60,
    50,
    40,
    33.33333,
    30,
    25,
    20,
    16.66667,
    14.28571,
    12.5,
    11.11111,
    10,
    5,
    0,
)
ALLOWED = tuple(sorted({sign * value for value in MOODLE_FRACTIONS for sign in (1, -1)}))
SNAP_TOLERANCE = 1e-4  # percent; Moodle's importer matches within 1e-5 of a fraction
ALL_PATTERNS_UP_TO = 12  # options; beyond, patterns of at most 3 ticks are compared
EPSILON = 1e-6


def snap_weight(percent: float) -> float:
    """The allowed Moodle percentage closest to `percent`."""
    return min(ALLOWED, key=lambda allowed: abs(allowed - percent))


@dataclass(frozen=True)
class Fractions:
    """Each option's exported percentage, by option id, and what the export must say about it."""

    by_option: dict[str, float]
    warnings: tuple[str, ...]


def choice_fractions(
    question: ChoiceQuestion | TrueFalse, scheme: Scheme, points: float
) -> Fractions:
    key = choice_key(question)
    if isinstance(question, TrueFalse):  # Moodle's true/false is always 100 % or 0 %
        exact = {oid: 100.0 if oid in key.correct else 0.0 for oid in key.options}
    else:
        exact = _exact_fractions(scheme, key)
    snapped = {oid: snap_weight(percent) for oid, percent in exact.items()}
    warnings = [
        f"{question.id}: option {oid}: {_pct(exact[oid])} % is not a fraction Moodle allows, "
        f"exported as {_pct(snapped[oid])} %"
        for oid in key.options
        if abs(snapped[oid] - exact[oid]) > SNAP_TOLERANCE
    ]
    warnings.extend(_sum_warnings(question.id, key, snapped))
    warnings.extend(_difference(question.id, scheme, key, snapped, points))
    return Fractions(snapped, tuple(warnings))


def typed_warning(question_id: str, scheme: Scheme, points: float) -> list[str]:
    """Moodle gives 0 to a typed answer that matches nothing; say so if grader does not."""
    wrong = score_typed(scheme, 0.0).fraction * points
    if abs(wrong) <= EPSILON:
        return []
    return [
        f"{question_id}: a wrong answer scores {_pts(wrong)} points with the scheme "
        f"'{scheme.kind}' but 0 in Moodle (difference: {_pts(abs(wrong))} points)"
    ]


def _exact_fractions(scheme: Scheme, key: ChoiceKey) -> dict[str, float]:
    if isinstance(scheme, Moodle):
        return moodle_weights(key)
    if key.single:
        return {oid: 100 * _grader(scheme, key, frozenset({oid})) for oid in key.options}
    perfect = _grader(scheme, key, key.correct)
    fractions = {}
    for oid in key.options:
        if oid in key.correct:
            fractions[oid] = 100 * (perfect - _grader(scheme, key, key.correct - {oid}))
        else:
            fractions[oid] = 100 * (_grader(scheme, key, key.correct | {oid}) - perfect)
    positive = sum(value for value in fractions.values() if value > 0)
    if positive <= EPSILON:
        return moodle_weights(key)
    # a scheme that is not additive (AMC counts the boxes left alone) gives marginals that do
    # not add up to 100 %: scaled, so that Moodle accepts the file and the difference is named
    return {oid: value * 100 / positive for oid, value in fractions.items()}


def _sum_warnings(question_id: str, key: ChoiceKey, fractions: Mapping[str, float]) -> list[str]:
    if key.single:
        best = max(fractions.values())
        if abs(best - 100) <= SNAP_TOLERANCE:
            return []
        return [
            f"{question_id}: the best option is worth {_pct(best)} %; Moodle needs one option "
            "at 100 % in a single-answer question"
        ]
    positive = sum(value for value in fractions.values() if value > 0)
    if round(positive / 100, 2) == 1:
        return []
    return [
        f"{question_id}: the positive fractions add up to {_pct(positive)} %; Moodle needs "
        "100 % in a multiple-answer question and will refuse it"
    ]


def _difference(
    question_id: str,
    scheme: Scheme,
    key: ChoiceKey,
    fractions: Mapping[str, float],
    points: float,
) -> list[str]:
    worst: tuple[float, frozenset[str], float, float] | None = None
    for ticked in _patterns(key):
        here = _grader(scheme, key, ticked) * points
        there = _moodle(key, fractions, ticked) * points
        if worst is None or abs(here - there) > abs(worst[2] - worst[3]):
            worst = (abs(here - there), ticked, here, there)
    if worst is None or worst[0] <= EPSILON:
        return []
    gap, ticked, here, there = worst
    shown = ", ".join(oid for oid in key.options if oid in ticked) or "nothing"
    return [
        f"{question_id}: Moodle cannot score this question as the scheme '{scheme.kind}' does: "
        f"ticking {shown} gives {_pts(there)} points in Moodle, {_pts(here)} here "
        f"(largest difference: {_pts(gap)} of {_pts(points)} points)"
    ]


def _patterns(key: ChoiceKey) -> Iterator[frozenset[str]]:
    if key.single:
        return (frozenset(pattern) for pattern in chain([()], ((oid,) for oid in key.options)))
    most = len(key.options) if len(key.options) <= ALL_PATTERNS_UP_TO else 3
    sizes = range(most + 1)
    return (frozenset(c) for c in chain.from_iterable(combinations(key.options, n) for n in sizes))


def _grader(scheme: Scheme, key: ChoiceKey, ticked: frozenset[str]) -> float:
    return score_choice(scheme, key, ticked).fraction


def _moodle(key: ChoiceKey, fractions: Mapping[str, float], ticked: frozenset[str]) -> float:
    total = sum(fractions[oid] for oid in ticked) / 100
    return total if key.single else min(1.0, max(0.0, total))


def _pct(value: float) -> str:
    return f"{value:.7g}"


def _pts(value: float) -> str:
    return f"{round(value, 3):g}"
