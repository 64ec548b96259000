"""Answers from CSV, Moodle exports, YAML/JSON and notebooks; bad rows named, the rest kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.errors import ConfigError
from grader.quiz.answers import read_answers
from grader.quiz.responses import Response, Ticks, Typed, interpret
from grader.quiz.run import score_sheets
from grader.quiz.schemes import Reason
from grader.quiz.shuffle import key_form
from grader.quiz.spec import parse_quiz

QUIZ = parse_quiz(
    """\
id: mini
title: Mini
shuffle: {questions: false, options: false}
questions:
  - id: q1
    kind: multiple
    text: Lesquels ?
    options:
      - {text: Alpha, correct: true}
      - {text: Bêta}
      - {text: Gamma, correct: true}
      - {text: Delta}
  - id: q2
    kind: single
    text: Lequel ?
    options:
      - {id: oui, text: Oui, correct: true}
      - {id: non, text: Non}
  - id: q3
    kind: numeric
    text: Combien ?
    answers: [{value: 2.5, tolerance: 0.01}]
  - id: q4
    kind: true-false
    text: Vrai ?
    answer: false
""",
    "mini.yaml",
).spec


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def make_notebook(*cell_sources: str) -> str:
    cells = [
        {
            "cell_type": "code",
            "metadata": {},
            "source": source,
            "outputs": [],
            "execution_count": None,
        }
        for source in cell_sources
    ]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def responses(path: Path) -> dict[str, dict[str, Response]]:
    batch = read_answers(QUIZ, [path])
    assert batch.problems == []
    return {s.student: interpret(QUIZ, key_form(QUIZ), s).responses for s in batch.sheets}


EXPECTED_ALICE = {
    "q1": Ticks(frozenset({"a", "c"}), "a;c"),
    "q2": Ticks(frozenset({"oui"}), "oui"),
    "q3": Typed("2,5"),
    "q4": Ticks(frozenset({"faux"}), "faux"),
}


def test_csv_one_column_per_question(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", 'student,q1,q2,q3,q4\nalice,a;c,oui,"2,5",faux\nbob,,,,\n')
    read = responses(path)
    assert read["alice"] == EXPECTED_ALICE
    assert read["bob"] == {}


def test_csv_semicolon_delimited(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", "etudiant;q1;q3;q2;q4\nalice;a c;2,5;OUI;faux\n")
    assert responses(path)["alice"]["q1"].options == frozenset({"a", "c"})  # type: ignore[union-attr]
    assert responses(path)["alice"]["q2"] == Ticks(frozenset({"oui"}), "OUI")


def test_yaml_and_json(tmp_path: Path) -> None:
    yaml_path = write(
        tmp_path / "r.yaml", "alice:\n  q1: [a, c]\n  q2: oui\n  q3: '2,5'\n  q4: faux\n"
    )
    json_path = write(
        tmp_path / "r.json",
        json.dumps({"alice": {"q1": "a;c", "q2": "oui", "q3": "2,5", "q4": False}}),
    )
    assert responses(yaml_path)["alice"] == EXPECTED_ALICE
    from_json = responses(json_path)["alice"]
    assert from_json["q1"] == EXPECTED_ALICE["q1"]
    assert from_json["q4"].options == frozenset({"faux"})  # type: ignore[union-attr]


def test_notebook_cell_is_read_not_executed(tmp_path: Path) -> None:
    notebook = make_notebook(
        "import os\nos.system('touch pwned')",
        "%matplotlib inline\nreponses = {'q1': 'a;c', 'q2': 'oui', 'q3': '2,5', 'q4': 'faux'}",
    )
    path = write(tmp_path / "alice.ipynb", notebook)
    assert responses(path)["alice"] == EXPECTED_ALICE
    assert not (tmp_path / "pwned").exists()


def test_folder_of_notebooks_keeps_the_good_ones(tmp_path: Path) -> None:
    folder = tmp_path / "rendus"
    folder.mkdir()
    write(folder / "alice.ipynb", make_notebook("reponses = {'q2': 'oui'}"))
    write(folder / "bob.ipynb", make_notebook("reponses = dict(q2=input())"))
    write(folder / "chloe.ipynb", make_notebook("print('rien')"))
    batch = read_answers(QUIZ, [folder])
    assert [s.student for s in batch.sheets] == ["alice"]
    messages = sorted(str(problem) for problem in batch.problems)
    assert "bob.ipynb: cell 1: `reponses` must be a literal dict of answers" in messages[0]
    assert "chloe.ipynb: no cell assigns `reponses = {...}`" in messages[1]


def test_moodle_responses_export(tmp_path: Path) -> None:
    export = (
        "Surname,First name,Username,State,Grade/10.00,"
        "Response 1,Response 2,Response 3,Response 4\n"
        'Martin,Alice,alice,Finished,10.00,Alpha; Gamma,Oui,"2,5",False\n'
        "Durand,Bob,bob,Finished,0.00,Bêta,-,3,True\n"
        "Overall average,,,,5.00,,,,\n"
    )
    read = responses(write(tmp_path / "moodle.csv", export))
    assert read["alice"]["q1"].options == frozenset({"a", "c"})  # type: ignore[union-attr]
    assert read["alice"]["q2"].options == frozenset({"oui"})  # type: ignore[union-attr]
    assert read["alice"]["q4"].options == frozenset({"faux"})  # type: ignore[union-attr]
    assert "q2" not in read["bob"]
    assert set(read) == {"alice", "bob"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nom,q1\nalice,a\n", "r.csv:1: no student column"),
    ],
)
def test_errors_that_concern_every_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="^" + expected.replace("(", r"\(")):
        read_answers(QUIZ, [write(tmp_path / "r.csv", text)])


def test_bad_rows_are_named_and_the_others_scored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    text = (
        "student,q1,q2\nalice,a;c,oui\nbob,a;x,oui\nchloe,b,peut-être\nalice,a,non\n,a,non\n"
        "david,c,non\n"
    )
    batch = read_answers(QUIZ, [write(tmp_path / "r.csv", text)])
    results, warnings = score_sheets(QUIZ, batch.sheets)
    assert [r.student for r in results] == ["alice", "bob", "chloe", "david"]
    assert [str(p) for p in batch.problems] == [
        "r.csv:5: alice: duplicate student 'alice' (first seen at r.csv:2)",
        "r.csv:6: a row without a student id",
    ]
    assert warnings == [
        "r.csv:3: bob.q1: invalid option 'x'; expected one of: a, b, c, d; this answer scores 0",
        "r.csv:4: chloe.q2: invalid option 'peut-être'; expected one of: oui, non; "
        "this answer scores 0",
    ]
    bob, chloe = results[1], results[2]
    assert bob.questions[0].reason == Reason.INVALID
    assert bob.questions[0].points == 0
    assert bob.questions[0].given == "a;x"
    assert bob.questions[0].problem == "option « x » inconnue (options possibles : a, b, c, d)"
    assert bob.questions[1].points == 1  # his other answer still counts
    assert chloe.questions[0].reason == Reason.PARTIAL


def test_yaml_duplicate_student_and_unknown_question(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(
        ConfigError, match=r"^r.yaml:3: duplicate student 'alice' \(first at line 1\)"
    ):
        read_answers(
            QUIZ, [write(tmp_path / "r.yaml", "alice: {q1: a}\nbob: {q1: b}\nalice: {q1: c}\n")]
        )
    batch = read_answers(QUIZ, [write(tmp_path / "s.yaml", "alice: {q7: a, q2: oui}\n")])
    results, warnings = score_sheets(QUIZ, batch.sheets)
    assert warnings == ["s.yaml:1: alice: unknown question id 'q7', ignored"]
    assert results[0].question("q2") is not None
    assert results[0].score == 1
