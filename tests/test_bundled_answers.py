"""The bundled answers the README's quiz and bench commands score: a class of 30 for the course
QCM with the usual mistakes, and four students' recorded outputs for every case of the prompt
benchmark. (tests/test_readme.py runs the commands; this says what they find.)"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tests.conftest import ROOT, grader_command

QUIZ = ROOT / "quizzes" / "qcm-transformers.yaml"
ANSWERS = ROOT / "examples" / "quiz" / "reponses.csv"
BENCH = ROOT / "rubrics" / "tp3-prompting-bench.yaml"
OUTPUTS = ROOT / "examples" / "bench" / "outputs.csv"


def _given(out: Path, student: str, question: str) -> dict[str, object]:
    result = json.loads((out / "results" / f"{student}.json").read_text(encoding="utf-8"))
    return next(q for q in result["questions"] if q["question_id"] == question)


def test_the_quiz_class_is_scored_with_its_usual_mistakes(tmp_path: Path) -> None:
    completed = grader_command("quiz", "score", str(QUIZ), str(ANSWERS), "--out", str(tmp_path))
    assert completed.returncode == 0, completed.stderr
    assert "30 students scored" in completed.stdout
    assert "invalid option 'z'" in completed.stderr  # a box that is no option: 0, with a warning
    assert "was not drawn" not in completed.stderr  # a pool's question left blank when not asked
    # comma decimals and spaced thousands, as French students type them, are numbers
    assert _given(tmp_path, "bruno", "emb-cosinus")["points"] == 1.0
    assert _given(tmp_path, "david", "emb-parametres")["given"] == "38 597 376"
    assert _given(tmp_path, "david", "emb-parametres")["points"] == 1.0
    reasons = {
        _given(tmp_path, row["student"], question)["reason"]
        for row in csv.DictReader(ANSWERS.open(encoding="utf-8"))
        for question in ("tok-bpe-principe", "att-equation", "arch-original")
    }
    assert {"ok", "wrong", "empty", "incoherent"} <= reasons


def test_the_bench_outputs_cover_every_case_and_prompt(tmp_path: Path) -> None:
    completed = grader_command("bench", "score", str(BENCH), str(OUTPUTS), "--out", str(tmp_path))
    assert completed.returncode == 0, completed.stderr
    rows = list(csv.DictReader(OUTPUTS.open(encoding="utf-8")))
    assert {row["student"] for row in rows} == {"alice", "bruno", "chloe", "david"}
    assert len({(row["student"], row["case"], row["prompt"]) for row in rows}) == 4 * 20 * 3
    assert "4 student(s) scored" in completed.stdout and "kappa" in completed.stdout
