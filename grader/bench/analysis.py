"""The student's own analysis: their means recomputed from their 0/1/2, and how far their
grades agree with the automatic ones (Cohen's kappa), with each disagreement listed."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

GRADES = (0, 1, 2)


@dataclass(frozen=True)
class Disagreement:
    prompt: str
    case: str
    student_grade: int
    automatic_grade: int
    reason: str  # why the automatic grade is what it is


@dataclass(frozen=True)
class MeanCheck:
    prompt: str
    recomputed: float | None  # from the student's grades; None when they graded nothing
    claimed: float | None  # the mean the student wrote, when known
    graded: int  # how many of the prompt's cases the student graded

    @property
    def matches(self) -> bool | None:
        if self.claimed is None or self.recomputed is None:
            return None
        return abs(self.claimed - self.recomputed) <= 0.005  # a mean printed with 2 decimals


@dataclass(frozen=True)
class StudentAnalysis:
    means: tuple[MeanCheck, ...]
    compared: int  # (case, prompt) pairs the student graded
    agreement: float | None  # share of identical grades
    kappa: float | None  # Cohen's kappa; None when undefined
    disagreements: tuple[Disagreement, ...]


GradedPair = tuple[str, str, int | None, int, str]  # prompt, case, student, automatic, reason


def analyse_student(
    pairs: Sequence[GradedPair],
    prompts: Sequence[str],
    claimed_means: Mapping[str, float] | None = None,
) -> StudentAnalysis | None:
    """None when the student gave no grade at all (nothing to compare)."""
    graded = [p for p in pairs if p[2] is not None]
    if not graded and not claimed_means:
        return None
    means = []
    for prompt in prompts:
        own = [p[2] for p in graded if p[0] == prompt and p[2] is not None]
        recomputed = sum(own) / len(own) if own else None
        claimed = (claimed_means or {}).get(prompt)
        means.append(MeanCheck(prompt, recomputed, claimed, len(own)))
    student = [int(p[2]) for p in graded if p[2] is not None]
    automatic = [p[3] for p in graded]
    disagreements = tuple(
        Disagreement(prompt, case, own, auto, reason)
        for prompt, case, own, auto, reason in graded
        if own is not None and own != auto
    )
    agreement = 1 - len(disagreements) / len(graded) if graded else None
    return StudentAnalysis(
        means=tuple(means),
        compared=len(graded),
        agreement=agreement,
        kappa=cohen_kappa(student, automatic),
        disagreements=disagreements,
    )


def cohen_kappa(student: Sequence[int], automatic: Sequence[int]) -> float | None:
    """Cohen's kappa over the 0/1/2 grid (scikit-learn). When both raters used one and the
    same grade everywhere, chance agreement is 1 and kappa is 0/0: reported as None."""
    if not student:
        return None
    from sklearn.metrics import cohen_kappa_score

    expected_agreement = sum(
        (student.count(g) / len(student)) * (automatic.count(g) / len(automatic)) for g in GRADES
    )
    if math.isclose(expected_agreement, 1.0):
        return None
    return float(cohen_kappa_score(student, automatic, labels=list(GRADES)))
