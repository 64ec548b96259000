"""Each scoring scheme reproduces worked examples of AMC's, Moodle's and R/exams' formulas."""

from __future__ import annotations

import pytest

from grader.errors import ConfigError
from grader.quiz.kinds import worth
from grader.quiz.responses import Response, Ticks
from grader.quiz.schemes import ChoiceKey, Reason, scale_total, score_choice, score_typed
from grader.quiz.scoring import score_quiz
from grader.quiz.shuffle import key_form
from grader.quiz.spec import (
    AllOrNothing,
    Amc,
    AmcHaut,
    Moodle,
    Negative,
    RExams,
    Scheme,
    parse_quiz,
)

# 5 options, the first two correct (C = 11000), as in the research notes' worked check
FIVE_TWO = ChoiceKey(("a", "b", "c", "d", "e"), frozenset({"a", "b"}), single=False)
SINGLE = ChoiceKey(("a", "b", "c", "d"), frozenset({"a"}), single=True)
WITH_NONE = ChoiceKey(
    ("a", "b", "c", "z"), frozenset({"a", "b"}), single=False, exclusive=frozenset({"z"})
)

AMC = Amc(kind="amc")
HAUT3 = AmcHaut(kind="amc-haut", haut=3)
MZ = AllOrNothing(kind="all-or-nothing")
MOODLE = Moodle(kind="moodle")
FALSE2 = RExams(kind="rexams")
CANVAS = Negative(kind="negative", penalty=1)


def ticks(pattern: str) -> frozenset[str]:
    return frozenset(option for option, bit in zip("abcde", pattern, strict=False) if bit == "1")


@pytest.mark.parametrize(
    ("pattern", "amc", "haut", "mz", "moodle", "false2", "canvas"),
    [
        ("11000", 5, 3, 1, 1.0, 1.0, 1.0),
        ("10000", 4, 2, 0, 0.5, 0.5, 0.5),
        ("11100", 4, 2, 0, 0.5, 0.667, 0.5),  # the acceptance case: one extra wrong tick
        ("00110", 1, 0, 0, 0.0, 0.0, 0.0),
        ("11111", 2, 0, 0, 0.0, 0.0, 0.0),
        ("00000", 0, 0, 0, 0.0, 0.0, 0.0),
    ],
)
def test_worked_check_five_options_two_correct(
    pattern: str, amc: float, haut: float, mz: float, moodle: float, false2: float, canvas: float
) -> None:
    ticked = ticks(pattern)
    assert score_choice(AMC, FIVE_TWO, ticked).raw == amc
    assert score_choice(AMC, FIVE_TWO, ticked).raw_max == 5
    assert score_choice(HAUT3, FIVE_TWO, ticked).raw == haut
    assert score_choice(MZ, FIVE_TWO, ticked).raw == mz
    assert score_choice(MOODLE, FIVE_TWO, ticked).raw == pytest.approx(moodle)
    assert score_choice(FALSE2, FIVE_TWO, ticked).raw == pytest.approx(false2, abs=5e-4)
    assert score_choice(CANVAS, FIVE_TWO, ticked).raw == pytest.approx(canvas)


@pytest.mark.parametrize(
    ("scheme", "pattern", "raw"),
    [
        (RExams(kind="rexams", rule="false"), "11100", 1 - 1 / 3),
        (RExams(kind="rexams", rule="true"), "11100", 0.5),
        (RExams(kind="rexams", rule="all"), "11100", 0.0),
        (RExams(kind="rexams", rule="none"), "11100", 1.0),
        (RExams(kind="rexams", rule="false2", floor=-1), "00110", -2 / 3),
        (RExams(kind="rexams", rule="all", floor=-1), "00111", -1.0),
        (Amc(kind="amc", b=1, m=-1), "11100", 3),
        (Amc(kind="amc", b=1, m=-1, p=0), "00111", 0),
        (Amc(kind="amc", b=1, m=-1), "00111", -5),
        (Amc(kind="amc", d=-2), "11000", 3),
        (Negative(kind="negative", penalty=0.5), "11100", 0.75),
        (Negative(kind="negative", penalty=1, floor=-1), "00111", -1.0),
        (AllOrNothing(kind="all-or-nothing", wrong=-0.5), "10000", -0.5),
    ],
)
def test_scheme_options(scheme: Scheme, pattern: str, raw: float) -> None:
    assert score_choice(scheme, FIVE_TWO, ticks(pattern)).raw == pytest.approx(raw)


def test_amc_all_wrong_with_negative_m_counts_every_error() -> None:
    # 00111 against 11000: all five options mishandled -> 5 x m
    assert score_choice(Amc(kind="amc", m=-1), FIVE_TWO, ticks("00111")).raw == -5


@pytest.mark.parametrize(
    ("scheme", "ticked", "raw", "reason"),
    [
        (Amc(kind="amc", b=2, m=-0.5, v=0.1, e=-1), {"a"}, 2, Reason.OK),
        (Amc(kind="amc", b=2, m=-0.5, v=0.1, e=-1), {"c"}, -0.5, Reason.WRONG),
        (Amc(kind="amc", b=2, m=-0.5, v=0.1, e=-1), set(), 0.1, Reason.EMPTY),
        (Amc(kind="amc", b=2, m=-0.5, v=0.1, e=-1), {"a", "c"}, -1, Reason.INCOHERENT),
        (Negative(kind="negative", penalty=0.25, floor=-1), {"b"}, -0.25, Reason.WRONG),
        (Negative(kind="negative", penalty=0.25), {"b"}, 0, Reason.WRONG),
        (Moodle(kind="moodle"), {"a", "b"}, 0, Reason.INCOHERENT),
        (FALSE2, {"d"}, 0, Reason.WRONG),
        (FALSE2, {"a"}, 1, Reason.OK),
    ],
)
def test_single_answer(scheme: Scheme, ticked: set[str], raw: float, reason: Reason) -> None:
    mark = score_choice(scheme, SINGLE, frozenset(ticked))
    assert (mark.raw, mark.reason) == (pytest.approx(raw), reason)


@pytest.mark.parametrize(
    ("ticked", "reason"),
    [
        ({"a", "b"}, Reason.OK),
        ({"z"}, Reason.WRONG),
        ({"a", "z"}, Reason.INCOHERENT),
        ({"a"}, Reason.PARTIAL),
        (set(), Reason.EMPTY),
    ],
)
def test_none_of_these_with_another_box_is_incoherent(ticked: set[str], reason: Reason) -> None:
    assert score_choice(FALSE2, WITH_NONE, frozenset(ticked)).reason == reason


def test_moodle_uses_written_weights_and_clamps() -> None:
    key = ChoiceKey(
        ("a", "b", "c"), frozenset({"a"}), single=False, weights={"a": 100, "b": 50, "c": -100}
    )
    assert score_choice(MOODLE, key, frozenset({"a", "b"})).raw == 1.0  # 150 % clamped
    assert score_choice(MOODLE, key, frozenset({"b"})).raw == 0.5
    assert score_choice(MOODLE, key, frozenset({"b", "c"})).raw == 0.0  # -50 % clamped


@pytest.mark.parametrize(
    ("scheme", "credit", "raw", "reason"),
    [
        (AMC, 1.0, 1, Reason.OK),
        (AMC, 0.5, 0.5, Reason.PARTIAL),
        (Amc(kind="amc", m=-1, v=0), 0.0, -1, Reason.WRONG),
        (AMC, None, 0, Reason.EMPTY),
        (HAUT3, 0.5, 1.5, Reason.PARTIAL),
        (Negative(kind="negative", penalty=0.25, floor=-1), 0.0, -0.25, Reason.WRONG),
        (MZ, 0.0, 0, Reason.WRONG),
        (MOODLE, 1.0, 1, Reason.OK),
    ],
)
def test_typed_answers(scheme: Scheme, credit: float | None, raw: float, reason: Reason) -> None:
    mark = score_typed(scheme, credit)
    assert (mark.raw, mark.reason) == (pytest.approx(raw), reason)


@pytest.mark.parametrize(
    ("raw", "raw_max", "total", "grain", "rounding", "negative", "expected"),
    [
        (7, 10, 20, 0.25, "nearest", False, 14.0),
        (7.3, 10, 20, 0.25, "nearest", False, 14.5),
        (7.3, 10, 20, 0.25, "down", False, 14.5),
        (7.3, 10, 20, 0.25, "up", False, 14.75),
        (7.31, 10, 20, 0.5, "nearest", False, 14.5),
        (7.38, 10, 20, 0.5, "nearest", False, 15.0),
        (-2, 10, 20, 0.5, "nearest", False, 0.0),
        (-2, 10, 20, 0.5, "nearest", True, -4.0),
        (12, 10, 20, 1, "nearest", False, 20.0),
    ],
)
def test_final_scaling_and_rounding(
    raw: float,
    raw_max: float,
    total: float,
    grain: float,
    rounding: str,
    negative: bool,
    expected: float,
) -> None:
    assert scale_total(raw, raw_max, total, grain, rounding, negative) == pytest.approx(expected)


# AMC's global score (Scoring.pm, auto-multiple-choice-note(1)): the raw question scores are
# summed, divided by the summed maxima and scaled to `notemax` (20) at `grain` 0.01. The three
# questions are the manual's cases: a simple question (b=1), a multiple one with the default
# "well-handled boxes" (5 boxes, 2 right: ticking only the first handles 4 of 5) and
# `haut=3` (3 for a perfect answer, minus 1 per error).
AMC_EXAMPLE = """\
id: amc-total
title: AMC
scheme: {{kind: amc{total}}}
scale: {{total: 20, grain: 0.01}}
shuffle: {{questions: false, options: false}}
questions:
  - id: simple
    kind: single
    text: S
    options: [{{text: A, correct: true}}, {{text: B}}, {{text: C}}]
  - id: boxes
    kind: multiple
    text: M
    options: [{{text: A, correct: true}}, {{text: B, correct: true}}, {{text: C}}, {{text: D}}, {{text: E}}]
  - id: haut
    kind: multiple
    scheme: {{kind: amc-haut, haut: 3}}
    text: H
    options: [{{text: A, correct: true}}, {{text: B, correct: true}}, {{text: C}}, {{text: D}}]
"""


@pytest.mark.parametrize(
    ("total", "raw", "raw_max", "mark"),
    [
        (", total: amc", 1 + 4 + 2, 1 + 5 + 3, 15.56),  # AMC: 7 / 9 x 20
        ("", 1 + 0.8 + 0.666667, 3, 16.44),  # grader's default: each question out of 1 point
    ],
)
def test_amc_total_sums_raw_scores_as_amc_does(
    total: str, raw: float, raw_max: float, mark: float
) -> None:
    quiz = parse_quiz(AMC_EXAMPLE.format(total=total)).spec
    responses: dict[str, Response] = {
        "simple": Ticks(frozenset({"a"}), "a"),
        "boxes": Ticks(frozenset({"a"}), "a"),
        "haut": Ticks(frozenset({"a", "b", "c"}), "a;b;c"),
    }
    result = score_quiz(quiz, key_form(quiz), responses)
    assert (result.raw_score, result.raw_max, result.score) == (raw, raw_max, mark)
    assert quiz.max_points(lambda question: worth(quiz, question)) == raw_max


def test_amc_total_refuses_points_it_would_ignore() -> None:
    text = AMC_EXAMPLE.format(total=", total: amc").replace(
        "    text: H\n", "    text: H\n    points: 2\n"
    )
    with pytest.raises(
        ConfigError, match=r"quiz.yaml:\d+: questions\[2\]\.points: with `total: amc`"
    ):
        parse_quiz(text)
