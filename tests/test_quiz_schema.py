"""The quiz JSON Schema: generated from the models, committed for editors, used by `validate`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.quiz.cli import quiz
from grader.quiz.schema import quiz_schema

QUIZZES = Path(__file__).parents[1] / "quizzes"

BAD = """\
id: x
title: T
scheme: {kind: amc, b: deux}
questions:
  - id: q
    kind: single
    text: Q
    options: [{text: a, correct: true}, {text: b, colour: red}]
  - id: r
    kind: numeric
    text: R
    answers: []
  - {id: s, kind: essay, text: S}
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(quiz, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_committed_schema_is_the_models_schema() -> None:
    committed = json.loads((QUIZZES / "quiz.schema.json").read_text(encoding="utf-8"))
    assert committed == quiz_schema(), "run: grader quiz schema --out quizzes/quiz.schema.json"
    question = committed["$defs"]["SingleChoice"]
    assert set(question["required"]) == {"id", "kind", "text", "options"}
    assert question["properties"]["format"]["enum"] == ["markdown", "html"]
    assert committed["$defs"]["Amc"]["properties"]["total"]["default"] == "points"


def test_validate_lists_every_violation_with_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("bad.yaml").write_text(BAD, encoding="utf-8")
    code, _, err = run("validate", "bad.yaml")
    assert code == 2
    assert err.splitlines() == [
        "grader: bad.yaml:3: scheme.b: 'deux' is not of type 'number'",
        "grader: bad.yaml:8: questions[0].options[1]: Additional properties are not allowed "
        "('colour' was unexpected)",
        "grader: bad.yaml:12: questions[1].answers: [] should be non-empty",
        "grader: bad.yaml:13: questions[2]: kind 'essay' is not one of: single, multiple, "
        "true-false, numeric, short-text",
    ]


def test_validate_then_applies_the_rules_a_schema_cannot_say(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("dup.yaml").write_text(
        "id: x\ntitle: T\nquestions:\n  - {id: q, kind: true-false, text: A, answer: true}\n"
        "  - {id: q, kind: true-false, text: B, answer: true}\n",
        encoding="utf-8",
    )
    code, _, err = run("validate", "dup.yaml")
    assert (code, err) == (2, "grader: dup.yaml:5: questions[1].id: duplicate question id 'q'\n")
    code, out, _ = run("validate", str(QUIZZES / "qcm-transformers.yaml"))
    assert (code, out) == (0, f"{QUIZZES / 'qcm-transformers.yaml'}: ok\n")
