"""The 0/1/2 grid, per-prompt means, the winner and the student's analysis, against a
hand-worked example (Expérience 10 in miniature)."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.bench.analysis import cohen_kappa
from grader.bench.assertions import AssertionScore, Tools
from grader.bench.load import LoadedRubric, parse_rubric
from grader.bench.rubric import Grid
from grader.bench.scoring import (
    NO_LABEL,
    RecordedOutput,
    grade_from_share,
    predicted_label,
    score_student,
    weighted_share,
    winners,
)

RUBRIC = """\
id: exp10
title: Expérience 10
prompts:
  - {id: zero-shot, title: Zero-shot}
  - {id: few-shot, title: Few-shot}
grid: {full: 1.0, partial: 0.5}
labels: [positif, négatif, neutre]
metrics: [{type: accuracy}, {type: macro-f1}]
default_assert:
  - type: icontains
    weight: 2
  - type: equals-normalised
  - type: not-icontains
    value: désolé
  - type: regex          # shown, not counted
    value: "^[a-zé]+$"
    weight: 0
cases:
  - {id: c1, input: "J'adore ce produit", expected: positif}
  - {id: c2, input: "Horrible, arrivé cassé", expected: négatif}
  - {id: c3, input: "Arrivé mardi", expected: neutre}
"""

# (prompt, case, output, student's grade); the automatic grade worked by hand, total weight 4:
#   zero-shot c1 "Positif"                   2+1+1 = 4/4 = 1.00 -> 2
#   zero-shot c2 "Le sentiment est négatif." 2+0+1 = 3/4 = 0.75 -> 1
#   zero-shot c3 "Désolé, je ne sais pas."   0+0+0 = 0/4 = 0.00 -> 0   mean 3/3 = 1.00
#   few-shot  c1 "positif"                   4/4 -> 2
#   few-shot  c2 "négatif"                   4/4 -> 2
#   few-shot  c3 "Désolé : neutre"           2+0+0 = 2/4 = 0.50 -> 1   mean 5/3 = 1.67: winner
ROWS = [
    ("zero-shot", "c1", "Positif", 2),
    ("zero-shot", "c2", "Le sentiment est négatif.", 2),
    ("zero-shot", "c3", "Désolé, je ne sais pas.", 0),
    ("few-shot", "c1", "positif", 2),
    ("few-shot", "c2", "négatif", 2),
    ("few-shot", "c3", "Désolé : neutre", 2),
]


def rubric(tmp_path: Path, text: str = RUBRIC) -> LoadedRubric:
    return parse_rubric(text, tmp_path / "exp10.yaml")


def rows(table: list[tuple[str, str, str, int | None]]) -> list[RecordedOutput]:
    return [RecordedOutput("alice", case, prompt, out, grade) for prompt, case, out, grade in table]


def test_hand_worked_grades_means_and_winner(tmp_path: Path) -> None:
    result = score_student(rubric(tmp_path), "alice", rows(ROWS), Tools())
    by_prompt = {p.prompt: p for p in result.prompts}
    assert [c.share for c in by_prompt["zero-shot"].cases] == [1.0, 0.75, 0.0]
    assert [c.grade for c in by_prompt["zero-shot"].cases] == [2, 1, 0]
    assert [c.share for c in by_prompt["few-shot"].cases] == [1.0, 1.0, 0.5]
    assert [c.grade for c in by_prompt["few-shot"].cases] == [2, 2, 1]
    assert by_prompt["zero-shot"].mean == pytest.approx(1.0)
    assert by_prompt["few-shot"].mean == pytest.approx(5 / 3)
    assert result.winners == ("few-shot",)
    # every score keeps its reason, the informational one included
    c2 = by_prompt["zero-shot"].cases[1]
    assert [a.type for a in c2.assertions] == [
        "icontains",
        "equals-normalised",
        "not-icontains",
        "regex",
    ]
    assert all(a.reason for a in c2.assertions)
    informational = c2.assertions[3]
    assert informational.passed  # weight 0: measured, never a failure (promptfoo's reading)
    assert (
        informational.reason == "mesure seule, non comptée : motif /^[a-zé]+$/ absent de la sortie"
    )
    assert c2.reason == "attendu « négatif », obtenu « Le sentiment est négatif. »"  # counted only


def test_hand_worked_student_analysis(tmp_path: Path) -> None:
    # student [2,2,0,2,2,2] vs automatic [2,1,0,2,2,1]: agreement 4/6;
    # chance agreement (1/6)(1/6) + (0)(2/6) + (5/6)(3/6) = 16/36, kappa = (24-16)/(36-16) = 0.4
    result = score_student(
        rubric(tmp_path),
        "alice",
        rows(ROWS),
        Tools(),
        claimed_means={"zero-shot": 1.33, "few-shot": 1.8},
    )
    analysis = result.analysis
    assert analysis is not None
    assert analysis.compared == 6
    assert analysis.agreement == pytest.approx(4 / 6)
    assert analysis.kappa == pytest.approx(0.4)
    assert [
        (d.prompt, d.case, d.student_grade, d.automatic_grade) for d in analysis.disagreements
    ] == [("zero-shot", "c2", 2, 1), ("few-shot", "c3", 2, 1)]
    assert "désolé" in analysis.disagreements[1].reason
    means = {m.prompt: m for m in analysis.means}
    assert means["zero-shot"].recomputed == pytest.approx(4 / 3)
    assert means["zero-shot"].matches is True
    assert means["few-shot"].recomputed == pytest.approx(2.0)
    assert means["few-shot"].matches is False


def test_set_level_metrics(tmp_path: Path) -> None:
    # zero-shot predicts positif, négatif, (aucun): accuracy 2/3;
    # F1 per label: positif 1, négatif 1, neutre 0 (never predicted) -> macro 2/3
    result = score_student(rubric(tmp_path), "alice", rows(ROWS), Tools())
    zero_shot = {m.type: m.value for m in result.prompts[0].metrics}
    assert zero_shot == {"accuracy": pytest.approx(2 / 3), "macro-f1": pytest.approx(2 / 3)}
    few_shot = {m.type: m.value for m in result.prompts[1].metrics}
    assert few_shot == {"accuracy": 1.0, "macro-f1": 1.0}


def test_missing_unknown_and_duplicate_rows(tmp_path: Path) -> None:
    table = [
        *ROWS[:2],
        ("zero-shot", "c9", "positif", None),
        ("zero-shot", "c1", "neutre", None),
        ("fewshot", "c1", "positif", None),
    ]
    result = score_student(rubric(tmp_path), "alice", rows(table), Tools())
    zero_shot, few_shot = result.prompts
    assert zero_shot.cases[2].output is None
    assert zero_shot.cases[2].grade == 0
    assert zero_shot.cases[2].reason == "aucune sortie enregistrée pour ce cas"
    assert zero_shot.cases[0].output == "Positif"  # the first of the duplicates is graded
    assert few_shot.mean == 0
    assert result.warnings == (
        "cas inconnu « c9 » ignoré (prompt « zero-shot »)",
        "sortie en double pour le cas « c1 » et le prompt « zero-shot » : seule la première "
        "est notée",
        "prompt inconnu « fewshot » ignoré (cas « c1 »)",
    )


def test_no_student_grades_no_analysis(tmp_path: Path) -> None:
    table = [(p, c, o, None) for p, c, o, _ in ROWS]
    assert score_student(rubric(tmp_path), "alice", rows(table), Tools()).analysis is None


@pytest.mark.parametrize(
    ("share", "grid", "grade"),
    [
        (1.0, Grid(), 2),
        (0.99, Grid(), 1),
        (0.5, Grid(), 1),
        (0.49, Grid(), 0),
        (0.0, Grid(), 0),
        (2 / 3, Grid(full=1.0, partial=0.6), 1),
        (0.8, Grid(full=0.8, partial=0.4), 2),
        (0.75, Grid(full=1.0, partial=0.75), 1),
    ],
)
def test_grid(share: float, grid: Grid, grade: int) -> None:
    assert grade_from_share(share, grid) == grade


def _score(passed: bool, weight: float) -> AssertionScore:
    return AssertionScore("contains", passed, weight, "raison")


@pytest.mark.parametrize(
    ("scores", "share"),
    [
        ([_score(True, 2), _score(False, 1), _score(True, 1)], 0.75),
        ([_score(True, 1), _score(False, 0)], 1.0),
        ([_score(False, 1), _score(True, 0)], 0.0),
        ([_score(True, 0.5), _score(False, 1.5)], 0.25),
    ],
)
def test_weighted_share_ignores_weight_zero(scores: list[AssertionScore], share: float) -> None:
    assert weighted_share(scores) == pytest.approx(share)


@pytest.mark.parametrize(
    ("means", "best"),
    [
        ({"a": 1.2, "b": 1.5, "c": 0.3}, ("b",)),
        ({"a": 1.5, "b": 1.5, "c": 0.3}, ("a", "b")),
        ({"a": 0.0}, ("a",)),
    ],
)
def test_winners(means: dict[str, float], best: tuple[str, ...]) -> None:
    assert winners(means) == best


LABELS = ("positif", "négatif", "neutre")


@pytest.mark.parametrize(
    ("output", "extract", "label"),
    [
        ("Négatif.", None, "négatif"),
        ("Le sentiment est NEGATIF", None, "négatif"),
        ('{"sentiment": "neutre"}', None, "neutre"),
        ("positif ou négatif ?", None, NO_LABEL),
        ("positivement", None, NO_LABEL),
        (None, None, NO_LABEL),
        ("Réponse : positif (pas négatif)", r"Réponse : (\w+)", "positif"),
        ("rien", r"Réponse : (\w+)", NO_LABEL),
    ],
)
def test_predicted_label(output: str | None, extract: str | None, label: str) -> None:
    assert predicted_label(output, LABELS, extract) == label


@pytest.mark.parametrize(
    ("student", "automatic", "kappa"),
    [
        ([2, 2, 0, 2, 2, 2], [2, 1, 0, 2, 2, 1], 0.4),
        ([0, 1, 2], [0, 1, 2], 1.0),
        ([0, 2], [2, 0], -1.0),
        ([2, 2, 2], [2, 2, 2], None),  # one grade everywhere: chance agreement 1, kappa 0/0
        ([], [], None),
    ],
)
def test_cohen_kappa(student: list[int], automatic: list[int], kappa: float | None) -> None:
    got = cohen_kappa(student, automatic)
    assert got == (pytest.approx(kappa) if kappa is not None else None)
