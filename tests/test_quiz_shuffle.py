"""Per-student forms: stable, different between students, `fixed` kept, answers mapped back."""

from __future__ import annotations

from pathlib import Path

from grader.quiz.answers import AnswerSheet
from grader.quiz.render import render_quiz_page
from grader.quiz.responses import interpret
from grader.quiz.schemes import Reason
from grader.quiz.scoring import score_quiz
from grader.quiz.shuffle import build_form, key_form
from grader.quiz.spec import Quiz, parse_quiz


def make_quiz(questions: int = 8, options: int = 5, pools: str = "") -> Quiz:
    """A quiz of multiple-choice questions q1…qN; option `e` is « aucune » and fixed last."""
    lines = ["id: shuffled", "title: Mélange", "scheme: {kind: all-or-nothing}", "questions:"]
    for number in range(1, questions + 1):
        lines += [
            f"  - id: q{number}",
            "    kind: multiple",
            f"    text: Question {number}",
            "    options:",
        ]
        for index in range(options - 1):
            correct = "true" if index in (number % (options - 1), 0) else "false"
            lines += [f"      - text: option {index} de q{number}", f"        correct: {correct}"]
        lines += [
            "      - text: aucune de ces réponses",
            "        fixed: true",
            "        exclusive: true",
        ]
    return parse_quiz("\n".join(lines) + "\n" + pools, "shuffled.yaml").spec


QUIZ = make_quiz()


def order(student: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(q.question_id, q.option_order) for q in build_form(QUIZ, student).questions]


def test_same_student_same_order_and_same_page() -> None:
    assert order("alice") == order("alice")
    first = render_quiz_page(QUIZ, build_form(QUIZ, "alice"))
    assert first == render_quiz_page(QUIZ, build_form(QUIZ, "alice"))


def test_two_students_get_different_orders() -> None:
    orders = {tuple(order(student)) for student in ("alice", "bob", "chloé", "david")}
    assert len(orders) == 4
    assert [q for q, _ in order("alice")] != [q for q, _ in order("bob")]


def test_the_order_depends_on_the_quiz_too() -> None:
    other = make_quiz().model_copy(update={"id": "other"})
    assert order("alice") != [
        (q.question_id, q.option_order) for q in build_form(other, "alice").questions
    ]


def test_fixed_option_keeps_its_place() -> None:
    for student in ("alice", "bob", "chloé", "david", "émile"):
        for asked in build_form(QUIZ, student).questions:
            assert asked.option_order[-1] == "e"
            assert sorted(asked.option_order) == ["a", "b", "c", "d", "e"]


def test_options_are_shuffled_for_some_question() -> None:
    moved = [
        q
        for q in build_form(QUIZ, "alice").questions
        if q.option_order != ("a", "b", "c", "d", "e")
    ]
    assert moved


def test_displayed_letters_map_back_to_the_key() -> None:
    form = build_form(QUIZ, "alice")
    answers: dict[str, str | float | int | bool | list[str] | None] = {}
    for asked in form.questions:
        correct = QUIZ.question(asked.question_id).correct_ids()  # type: ignore[union-attr]
        answers[asked.question_id] = ";".join(asked.label_of(oid) for oid in sorted(correct))
    sheet = AnswerSheet("alice", answers, Path("r.csv"), 2)
    result = score_quiz(QUIZ, form, interpret(QUIZ, form, sheet, displayed=True).responses)
    assert all(q.reason == Reason.OK for q in result.questions)
    assert result.score == result.max_score
    first = result.questions[0]
    asked = form.questions[0]
    assert first.option_order == asked.option_order
    assert first.displayed == tuple(asked.label_of(oid) for oid in first.selected)
    # the same letters read as key ids would not be right for every question
    unshuffled = interpret(
        QUIZ,
        key_form(QUIZ),
        AnswerSheet(
            "alice", {qid: str(value).lower() for qid, value in answers.items()}, Path("r.csv"), 2
        ),
    ).responses
    as_ids = score_quiz(QUIZ, form, unshuffled)
    assert as_ids.score < result.score


def test_pools_draw_k_of_n_per_student() -> None:
    pools = "pools:\n  - id: p\n    draw: 2\n    questions: [q1, q2, q3, q4]\n"
    quiz = make_quiz(pools=pools)
    drawn = {}
    for student in ("alice", "bob", "chloé", "david", "émile", "fanny"):
        asked = set(build_form(quiz, student).question_ids())
        assert len(asked & {"q1", "q2", "q3", "q4"}) == 2
        assert {"q5", "q6", "q7", "q8"} <= asked
        drawn[student] = frozenset(asked)
    assert len(set(drawn.values())) > 1
    assert quiz.max_points() == 6


def test_no_shuffle_keeps_the_written_order() -> None:
    quiz = make_quiz().model_copy(
        update={
            "shuffle": make_quiz().shuffle.model_copy(update={"questions": False, "options": False})
        }
    )
    assert build_form(quiz, "alice") == build_form(quiz, "bob").__class__(
        quiz.id, "alice", key_form(quiz).questions
    )
