"""Quiz YAML: every mistake named by file:line:field; typed answers; the course's final quiz."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.errors import ConfigError
from grader.quiz.kinds.numeric import parse_number
from grader.quiz.responses import Typed
from grader.quiz.schemes import Reason
from grader.quiz.scoring import score_question
from grader.quiz.spec import MultipleChoice, Numeric, ShortText, load_quiz, parse_quiz

COURSE_QUIZ = Path(__file__).parent.parent / "quizzes" / "qcm-transformers.yaml"

GOOD = """\
id: demo
title: Démo
questions:
  - id: q1
    kind: single
    text: Deux plus deux ?
    options:
      - text: '4'
        correct: true
      - text: '5'
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD.replace("kind: single", "kind: singel"), "q.yaml:4: questions[0]: unknown kind"),
        (
            GOOD.replace("      - text: '5'\n", "      - text: '5'\n        corect: true\n"),
            "q.yaml:11: questions[0].options[1]: unknown key 'corect' (did you mean 'correct'?)",
        ),
        (
            GOOD.replace("correct: true", "correct: false"),
            "q.yaml:8: questions[0].options: no option is marked `correct: true`",
        ),
        (
            GOOD.replace("      - text: '5'\n", "      - text: '5'\n        correct: true\n"),
            "q.yaml:8: questions[0].options: a single-choice question has 2 correct options; "
            "use kind: multiple",
        ),
        (
            GOOD + "  - id: q1\n    kind: true-false\n    text: x\n    answer: true\n",
            "q.yaml:11: questions[1].id: duplicate question id 'q1'",
        ),
        (
            GOOD + "pools:\n  - id: p\n    draw: 1\n    questions: [q1, q9]\n",
            "q.yaml:14: pools[0].questions[1]: unknown question 'q9'",
        ),
        (
            GOOD + "pools:\n  - id: p\n    draw: 2\n    questions: [q1]\n",
            "q.yaml:13: pools[0].draw: cannot draw 2 of 1 questions",
        ),
        (
            GOOD.replace("title: Démo", "title: Démo\nscheme: {kind: amc-haut}"),
            "q.yaml:3: scheme.haut: required, but missing",
        ),
        (
            GOOD.replace("title: Démo", "title: Démo\nscheme: {kind: rexams, rule: faux}"),
            "q.yaml:3: scheme.rule: expected 'false2', 'false', 'true', 'all' or 'none', "
            'got "faux"',
        ),
        (
            GOOD + "  - id: q2\n    kind: short-text\n    text: x\n    answers:\n"
            "      - regex: '(a'\n",
            "q.yaml:15: questions[1].answers[0].regex: invalid regular expression",
        ),
        (
            GOOD
            + "  - id: q2\n    kind: numeric\n    text: x\n    answers:\n      - value: trois\n",
            'q.yaml:15: questions[1].answers[0].value: expected a number, got "trois"',
        ),
        (
            GOOD.replace("      - text: '4'\n", "      - id: x\n        text: '4'\n").replace(
                "      - text: '5'\n", "      - id: x\n        text: '5'\n"
            ),
            "q.yaml:11: questions[0].options[1].id: duplicate option id 'x'",
        ),
        (
            "id: demo\ntitle: x\nquestions: []\n",
            "q.yaml:3: questions: a quiz needs at least one question",
        ),
    ],
)
def test_error_names_file_line_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as raised:
        parse_quiz(text, "q.yaml")
    assert str(raised.value).startswith(expected)


NUMERIC = parse_quiz(
    """\
id: n
title: N
questions:
  - id: pi
    kind: numeric
    text: pi ?
    unit: rad
    answers:
      - {value: 3.1416, tolerance: 0.001}
      - {value: 3, tolerance: 0.2, credit: 0.5}
  - id: rel
    kind: numeric
    text: grand ?
    answers:
      - {value: 1000, tolerance: 0.01, relative: true}
  - id: mot
    kind: short-text
    text: mot ?
    answers:
      - text: Rappel
      - text: taux
        credit: 0.5
      - regex: 'true\\s*positive\\s*rate'
""",
    "n.yaml",
).spec


@pytest.mark.parametrize(
    ("question_id", "text", "credit"),
    [
        ("pi", "3,1416", 1.0),
        ("pi", "3.142", 1.0),
        ("pi", " 3,14159 rad", 1.0),
        ("pi", "3.1", 0.5),
        ("pi", "2,9", 0.5),
        ("pi", "4", 0.0),
        ("pi", "trois", 0.0),
        ("rel", "1 009", 1.0),
        ("rel", "1011", 0.0),
        ("mot", "  rappel ", 1.0),
        ("mot", "RAPPÉL", 1.0),
        ("mot", "Taux", 0.5),
        ("mot", "True Positive  rate", 1.0),
        ("mot", "précision", 0.0),
    ],
)
def test_typed_answer_credit(question_id: str, text: str, credit: float) -> None:
    result = score_question(NUMERIC, NUMERIC.question(question_id), Typed(text))
    assert result.points / result.max_points == credit


@pytest.mark.parametrize(
    ("text", "value"),
    [("0,5", 0.5), ("1e-3", 0.001), ("1 822", 1822.0), ("1,2,3", None), ("", None)],
)
def test_parse_number(text: str, value: float | None) -> None:
    assert parse_number(text) == value


def test_partial_numeric_credit_is_scaled_to_points() -> None:
    result = score_question(NUMERIC, NUMERIC.question("pi"), Typed("3"))
    assert (result.points, result.reason) == (0.5, Reason.PARTIAL)


def test_course_quiz_covers_the_course() -> None:
    quiz = load_quiz(COURSE_QUIZ).spec
    assert len(quiz.questions) >= 30
    several_correct = [
        q for q in quiz.questions if isinstance(q, MultipleChoice) and len(q.correct_ids()) > 1
    ]
    assert len(several_correct) >= 5
    assert sum(isinstance(q, Numeric) for q in quiz.questions) >= 5
    assert any(isinstance(q, ShortText) for q in quiz.questions)
    topics = {topic for q in quiz.questions for topic in q.topics}
    assert {
        "tokenisation",
        "embeddings",
        "attention",
        "qkv",
        "multi-head",
        "architectures",
        "pre-training",
        "fine-tuning",
        "rlhf",
        "decoding",
        "metrics",
    } <= topics


def test_course_quiz_key_scores_full_marks() -> None:
    from grader.quiz.responses import Ticks
    from grader.quiz.scoring import score_quiz
    from grader.quiz.shuffle import build_form
    from grader.quiz.spec import ChoiceQuestion, TrueFalse

    quiz = load_quiz(COURSE_QUIZ).spec
    form = build_form(quiz, "alice")
    responses: dict[str, Ticks | Typed] = {}
    for asked in form.questions:
        question = quiz.question(asked.question_id)
        if isinstance(question, ChoiceQuestion):
            responses[question.id] = Ticks(question.correct_ids(), "")
        elif isinstance(question, TrueFalse):
            responses[question.id] = Ticks(frozenset({"vrai" if question.answer else "faux"}), "")
        elif isinstance(question, Numeric):
            responses[question.id] = Typed(f"{question.answers[0].value:.10g}".replace(".", ","))
        elif isinstance(question, ShortText):
            responses[question.id] = Typed(question.answers[0].text or "")
    result = score_quiz(quiz, form, responses)
    assert [q.question_id for q in result.questions if q.reason != Reason.OK] == []
    assert (result.score, result.max_score) == (20, 20)


def test_a_question_scheme_overrides_the_quiz_scheme() -> None:
    quiz = parse_quiz(
        """\
id: o
title: O
scheme: {kind: amc}
questions:
  - id: amc
    kind: multiple
    text: x
    options: [{text: a, correct: true}, {text: b}, {text: c, correct: true}, {text: d}]
  - id: strict
    kind: multiple
    text: x
    scheme: {kind: all-or-nothing}
    options: [{text: a, correct: true}, {text: b}, {text: c, correct: true}, {text: d}]
""",
        "o.yaml",
    ).spec
    from grader.quiz.responses import Ticks

    one_right = Ticks(frozenset({"a"}), "a")
    assert score_question(quiz, quiz.question("amc"), one_right).points == 0.75
    assert score_question(quiz, quiz.question("strict"), one_right).points == 0
