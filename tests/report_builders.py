"""Builders of graded results for the report and gradebook tests: real dataclasses, no kernel."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from grader.report.sections import array_comparison, attention_heatmaps, token_alignment
from grader.results import (
    CellRecord,
    CellStatus,
    CheckResult,
    CriterionScore,
    ExecutionRecord,
    ExecutionStatus,
    GradeReport,
    Lateness,
    Outcome,
    Phase,
)

EXPECTED_WEIGHTS = np.array([[0.25, 0.75, 0.0], [0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
SECRET = 0.123456  # an expected value of a hidden check: never in a student's report


def section_dict(section: object) -> dict[str, object]:
    return {"kind": section.kind, "title": section.title, "data": section.data}  # type: ignore[attr-defined]


def make_report(student: str = "alice", score_shift: float = 0.0) -> GradeReport:
    got = EXPECTED_WEIGHTS.copy()
    got[1, 2] = 0.9  # the worst cell
    checks_attention = (
        CheckResult(
            "sdpa.poids",
            Outcome.FAILED,
            Phase.CHECK,
            "poids d'attention, élément [1, 2] : 0.9, attendu 0",
            section=section_dict(array_comparison(got, EXPECTED_WEIGHTS, "poids d'attention")),
        ),
        CheckResult(
            "sdpa.carte",
            Outcome.PASSED,
            Phase.CHECK,
            "correct",
            section=section_dict(
                attention_heatmaps(
                    EXPECTED_WEIGHTS, EXPECTED_WEIGHTS, "carte", ["le", "chat", "dort"]
                )
            ),
        ),
        CheckResult(
            "sdpa.cachee",
            Outcome.FAILED,
            Phase.CHECK,
            "sortie, élément [0, 0] : 1 est hors tolérance",  # as the runner redacts it
            hidden=True,
            detail=f"sortie : attendu {SECRET}",
        ),
    )
    checks_tokens = (
        CheckResult(
            "bpe.tokens",
            Outcome.FAILED,
            Phase.CHECK,
            "tokens différents",
            section=section_dict(
                token_alignment(
                    ["Bon", "jour", " le"], ["Bonjour", " le"], "tokens de « Bonjour le »"
                )
            ),
        ),
    )
    criteria = (
        CriterionScore("attention", "Attention", 2.0 + score_shift, 6.0, checks_attention),
        CriterionScore("tokens", "Tokenisation", 2.0, 4.0, checks_tokens),
        CriterionScore("redaction", "Analyse rédigée", 0.0, 4.0, (), manual=True),
    )
    execution = ExecutionRecord(
        ExecutionStatus.ERROR,
        4.2,
        cells=(
            CellRecord(0, CellStatus.OK, 0.1),
            CellRecord(3, CellStatus.ERROR, 0.2, "ZeroDivisionError: division by zero"),
        ),
        message="La cellule 4 a levé une erreur.",
        sandbox="bwrap",
    )
    return GradeReport(
        assignment="tp-mini",
        student=student,
        score=4.0 + score_shift,
        max_score=14.0,
        criteria=criteria,
        execution=execution,
        submission_hash="ab" * 32,
        graded_at="2026-11-22T05:00:00+00:00",
    )


def late(report: GradeReport) -> GradeReport:
    lateness = Lateness("2026-11-21T10:00:00+00:00", "2026-11-20T23:59:00+00:00", 1, 1.4)
    return replace(report, late=lateness, score=round(report.score - 1.4, 2))
