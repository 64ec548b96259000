"""The student's table as the probe returns it: French column names, cases named by their
input, mistakes kept as warnings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from grader.bench.assertions import Tools
from grader.bench.load import load_rubric
from grader.bench.scoring import RecordedOutput, score_student
from grader.bench.student_table import read_student_table

RUBRIC = load_rubric(Path(__file__).parent.parent / "rubrics" / "tp3-prompting-bench.yaml")
A01 = RUBRIC.spec.cases[0]


@pytest.mark.parametrize(
    ("record", "row"),
    [
        (
            {"case": "a01", "prompt": "zero-shot", "output": "positif", "grade": 2},
            RecordedOutput("alice", "a01", "zero-shot", "positif", 2),
        ),
        (
            {"entrée": A01.input, "prompt": "Zero shot", "sortie": "positif", "note": 1.0},
            RecordedOutput("alice", "a01", "zero-shot", "positif", 1),
        ),
        (
            {
                "Avis": " livraison en deux jours et produit conforme, PARFAIT ",
                "Prompt": "few_shot",
                "Réponse": "positif",
                "Note": float("nan"),
            },
            RecordedOutput("alice", "a01", "few-shot", "positif", None),
        ),
        (
            {
                "cas": "a01",
                "prompt": "Prompt structuré (JSON)",
                "sortie": '{"sentiment": "positif"}',
            },
            RecordedOutput("alice", "a01", "structured", '{"sentiment": "positif"}', None),
        ),
    ],
)
def test_rows_are_read_from_french_or_english_columns(
    record: dict[str, Any], row: RecordedOutput
) -> None:
    table = read_student_table(RUBRIC, "alice", [record])
    assert table.rows == (row,)
    assert table.warnings == ()


@pytest.mark.parametrize(
    ("record", "warning", "kept"),
    [
        (
            {"case": "a99", "prompt": "zero-shot", "output": "positif"},
            "ligne 1 du tableau : cas introuvable dans la grille ('a99'), ignorée",
            False,
        ),
        (
            {"entrée": "Un avis inventé", "prompt": "zero-shot", "output": "positif"},
            "ligne 1 du tableau : cas introuvable dans la grille ('Un avis inventé'), ignorée",
            False,
        ),
        (
            {"case": "a01", "output": "positif"},
            "ligne 1 du tableau : colonne(s) absente(s) : prompt, ignorée",
            False,
        ),
        (
            {"case": "a01", "prompt": "zero-shot", "output": "positif", "note": 3},
            "ligne 1 du tableau : note 3 ignorée : attendu 0, 1 ou 2",
            True,
        ),
        (
            {"case": "a01", "prompt": "zero-shot", "output": "positif", "note": "bien"},
            "ligne 1 du tableau : note 'bien' ignorée : attendu 0, 1 ou 2",
            True,
        ),
        (
            ["a01", "zero-shot", "positif"],
            "ligne 1 du tableau : attendu un dictionnaire, obtenu list",
            False,
        ),
    ],
)
def test_mistakes_are_warnings(record: Any, warning: str, kept: bool) -> None:
    table = read_student_table(RUBRIC, "alice", [record])
    assert table.warnings == (warning,)
    assert len(table.rows) == int(kept)
    if kept:
        assert table.rows[0].student_grade is None


def test_warnings_reach_the_result() -> None:
    table = read_student_table(
        RUBRIC,
        "alice",
        [
            {"case": "a01", "prompt": "zero-shot", "output": "positif", "note": 2},
            {"case": "a99", "prompt": "zero-shot", "output": "positif"},
        ],
    )
    result = score_student(RUBRIC, "alice", table.rows, Tools(), table_warnings=table.warnings)
    assert result.warnings == table.warnings
    assert result.prompts[0].cases[0].grade == 2
