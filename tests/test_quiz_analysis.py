"""Item statistics equal a hand-worked example and a second, loop-based implementation."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from grader.quiz.analysis import analyse
from grader.quiz.responses import Ticks
from grader.quiz.scoring import QuizResult, score_quiz
from grader.quiz.shuffle import key_form
from grader.quiz.spec import Quiz, parse_quiz


def make_quiz(items: int) -> Quiz:
    lines = ["id: stats", "title: Stats", "scheme: {kind: all-or-nothing}", "questions:"]
    for number in range(items):
        lines += [
            f"  - id: i{number}",
            "    kind: single",
            "    text: x",
            "    options:",
            "      - {text: juste, correct: true}",
            "      - {text: faux 1}",
            "      - {text: faux 2}",
        ]
    return parse_quiz("\n".join(lines) + "\n", "stats.yaml").spec


def class_results(quiz: Quiz, ticks: list[list[str]]) -> list[QuizResult]:
    form = key_form(quiz)
    return [
        score_quiz(quiz, form, {f"i{n}": Ticks(frozenset({t}), t) for n, t in enumerate(row) if t})
        for row in ticks
    ]


def test_hand_worked_example() -> None:
    quiz = make_quiz(3)
    # right/wrong matrix 111 / 110 / 100 / 000; wrong answers tick a distractor
    ticks = [["a", "a", "a"], ["a", "a", "b"], ["a", "b", "b"], ["c", "b", ""]]
    analysis = analyse(quiz, class_results(quiz, ticks))
    assert [item.facility for item in analysis.items] == [0.75, 0.5, 0.25]
    # KR-20 = 3/2 · (1 − Σpq / var(T)) = 1.5 · (1 − 0.625 / 1.25)
    assert analysis.test.kr20 == pytest.approx(0.75)
    assert analysis.test.alpha == pytest.approx(0.75)
    # item 0: x = 1110, rest = 2100 -> r = 0.75 / sqrt(0.75 · 2.75)
    assert analysis.items[0].discrimination == pytest.approx(0.75 / math.sqrt(0.75 * 2.75))
    assert analysis.test.sem == pytest.approx(statistics.stdev([3, 2, 1, 0]) * math.sqrt(0.25))
    options = {o.option_id: o for o in analysis.items[2].options}
    assert (options["a"].frequency, options["b"].frequency, options["c"].frequency) == (
        0.25,
        0.5,
        0.0,
    )
    assert analysis.items[2].empty == 0.25
    assert "unused-distractor:c" in analysis.items[2].flags
    # item 1: rest = 2, 1, 1, 0; upper group (27 % of 4 = 1 student): student 0, lower: student 3
    middle = {o.option_id: o for o in analysis.items[1].options}
    assert (middle["a"].upper, middle["a"].lower, middle["b"].upper, middle["b"].lower) == (
        1.0,
        0.0,
        0.0,
        1.0,
    )


def reference_statistics(matrix: list[list[float]]) -> dict[str, object]:
    """A second implementation, loop by loop with the statistics module."""
    students, items = len(matrix), len(matrix[0])
    totals = [sum(row) for row in matrix]
    facility, discrimination = [], []
    for item in range(items):
        column = [row[item] for row in matrix]
        rest = [total - x for total, x in zip(totals, column, strict=True)]
        facility.append(sum(column) / students)
        discrimination.append(statistics.correlation(column, rest))
    p = facility
    kr20 = items / (items - 1) * (1 - sum(pi * (1 - pi) for pi in p) / statistics.pvariance(totals))
    return {
        "facility": facility,
        "discrimination": discrimination,
        "kr20": kr20,
        "sd": statistics.stdev(totals),
        "mean": statistics.mean(totals),
    }


def test_matches_a_second_implementation_on_a_fixed_matrix() -> None:
    rng = random.Random(20261122)
    quiz = make_quiz(12)
    ability = [rng.gauss(0, 1) for _ in range(80)]
    difficulty = [rng.uniform(-1.5, 1.5) for _ in range(12)]
    ticks = [
        ["a" if rng.random() < 1 / (1 + math.exp(d - a)) else rng.choice("bc") for d in difficulty]
        for a in ability
    ]
    matrix = [[1.0 if t == "a" else 0.0 for t in row] for row in ticks]
    expected = reference_statistics(matrix)
    analysis = analyse(quiz, class_results(quiz, ticks))
    assert [i.facility for i in analysis.items] == pytest.approx(expected["facility"])
    assert [i.discrimination for i in analysis.items] == pytest.approx(expected["discrimination"])
    assert analysis.test.kr20 == pytest.approx(expected["kr20"])
    assert analysis.test.alpha == pytest.approx(expected["kr20"])  # 0/1 items: α = KR-20
    assert analysis.test.sd == pytest.approx(expected["sd"])
    assert analysis.test.mean == pytest.approx(expected["mean"])
    for item in range(12):
        ticked_b = sum(row[item] == "b" for row in ticks) / len(ticks)
        by_id = {o.option_id: o for o in analysis.items[item].options}
        assert by_id["b"].frequency == pytest.approx(ticked_b)


def test_flags_a_reversed_key() -> None:
    quiz = make_quiz(4)
    # the best students (right on i0–i2) miss i3, the weakest get it right
    ticks = [["a", "a", "a", "b"]] * 5 + [["a", "a", "b", "b"]] * 5 + [["b", "b", "b", "a"]] * 5
    item = analyse(quiz, class_results(quiz, ticks)).items[3]
    assert item.discrimination is not None and item.discrimination < 0
    assert "negative-discrimination" in item.flags
    assert "check-key:a" in item.flags
    assert "unused-distractor:c" in item.flags
