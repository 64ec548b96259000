"""Moodle XML and GIFT exports; Moodle's allowed weights, with a warning when one changes."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from grader.quiz.export import to_gift, to_moodle_xml
from grader.quiz.fractions import snap_weight
from grader.quiz.spec import parse_quiz

QUIZ = parse_quiz(
    r"""
id: export
title: Export
scheme: {kind: moodle}
questions:
  - id: att
    kind: single
    text: 'Formule : $\sqrt{d_k}$ ?'
    points: 2
    topics: [attention]
    options:
      - {text: 'a = b', correct: true, feedback: Bien}
      - {text: 'c {d}'}
  - id: multi
    kind: multiple
    text: Lesquels ?
    options:
      - {text: A, correct: true}
      - {text: B, correct: true}
      - {text: C, correct: true}
      - {text: D}
      - {text: E, weight: -15}
  - id: tf
    kind: true-false
    text: Vrai ?
    answer: false
  - id: num
    kind: numeric
    text: Combien ?
    answers:
      - {value: 2.5, tolerance: 0.1}
      - {value: 100, tolerance: 0.05, relative: true, credit: 0.45}
  - id: mot
    kind: short-text
    text: Mot ?
    answers:
      - text: rappel
      - regex: 'recall|sensibilit.'
""",
    "export.yaml",
).spec


@pytest.mark.parametrize(
    ("percent", "snapped"),
    [
        (100, 100),
        (50, 50),
        (100 / 3, 33.33333),
        (-15, -14.28571),
        (45, 40),
        (-100 / 6, -16.66667),
        (3, 5),
        (1, 0),
    ],
)
def test_snap_to_moodle_weights(percent: float, snapped: float) -> None:
    assert snap_weight(percent) == snapped


def test_moodle_xml() -> None:
    exported = to_moodle_xml(QUIZ)
    root = ET.fromstring(exported.text)
    questions = {
        q.findtext("name/text"): q for q in root.findall("question") if q.get("type") != "category"
    }
    assert {name: q.get("type") for name, q in questions.items()} == {
        "att": "multichoice",
        "multi": "multichoice",
        "tf": "truefalse",
        "num": "numerical",
        "mot": "shortanswer",
    }
    att = questions["att"]
    assert att.findtext("single") == "true"
    assert att.findtext("defaultgrade") == "2"
    assert att.findtext("questiontext/text") == r"<p>Formule : \(\sqrt{d_k}\) ?</p>"
    assert att.find("questiontext").get("format") == "html"
    assert [a.get("fraction") for a in att.findall("answer")] == ["100", "0"]
    assert att.findtext("answer/feedback/text") == "Bien"
    assert att.findtext("tags/tag/text") == "attention"
    multi = questions["multi"]
    assert multi.findtext("single") == "false"
    assert [a.get("fraction") for a in multi.findall("answer")] == [
        "33.33333",
        "33.33333",
        "33.33333",
        "-33.33333",
        "-14.28571",
    ]
    num = questions["num"]
    assert [
        (a.findtext("text"), a.findtext("tolerance"), a.get("fraction"))
        for a in num.findall("answer")
    ] == [("2.5", "0.1", "100"), ("100", "5", "40")]
    assert [a.findtext("text") for a in questions["tf"].findall("answer")] == ["true", "false"]
    assert [a.get("fraction") for a in questions["tf"].findall("answer")] == ["0", "100"]
    assert [a.findtext("text") for a in questions["mot"].findall("answer")] == ["rappel"]
    assert exported.warnings == (
        "multi: option e: -15 % is not a fraction Moodle allows, exported as -14.28571 %",
        "multi: Moodle cannot score this question as the scheme 'moodle' does: ticking a, e "
        "gives 0.19 points in Moodle, 0.183 here (largest difference: 0.007 of 1 points)",
        "num: answers[1]: weight 45 % is not allowed by Moodle, exported as 40 %",
        "mot: answers[1]: a regular expression cannot be exported to Moodle; left out",
    )


def test_gift() -> None:
    exported = to_gift(QUIZ)
    blocks = exported.text.split("\n\n")
    assert blocks[0] == "// Export"
    assert blocks[2] == (
        "// points: 2\n// tags: attention\n"
        "::att::[html]<p>Formule \\: \\\\(\\\\sqrt\\{d_k\\}\\\\) ?</p> {\n"
        "\t=a \\= b#Bien\n"
        "\t~c \\{d\\}\n"
        "}"
    )
    assert blocks[3].splitlines()[2:] == [
        "\t~%33.33333%A",
        "\t~%33.33333%B",
        "\t~%33.33333%C",
        "\t~%-33.33333%D",
        "\t~%-14.28571%E",
        "}",
    ]
    assert blocks[4] == "// points: 1\n::tf::[html]<p>Vrai ?</p> {F}"
    assert blocks[5].splitlines()[2:] == ["\t=%100%2.5:0.1", "\t=%40%100:5", "}"]
    assert blocks[6].splitlines()[2:] == ["\t=rappel", "}"]
    assert len(exported.warnings) == 4
