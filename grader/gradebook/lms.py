"""Exports for learning platforms: Moodle's grade import CSV and Gradescope's results.json."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from grader.formats import points
from grader.results import CriterionScore, GradeReport
from grader.text import SpreadsheetWriter


def moodle_csv(reports: Sequence[GradeReport], grade_item: str) -> str:
    """Moodle "Import grades from CSV": an identifier column, the grade item, its feedback.

    At import, map "Username" to the user field username and `grade_item` to the assignment's
    grade item; the feedback column maps to that item's feedback.
    """
    out = io.StringIO()
    writer = SpreadsheetWriter(out)
    writer.writerow(["Username", grade_item, f"{grade_item} (feedback)"])
    for report in sorted(reports, key=lambda r: r.student):
        writer.writerow([report.student, f"{report.score:.2f}", _feedback(report)])
    return out.getvalue()


def gradescope_results(report: GradeReport) -> dict[str, Any]:
    """Gradescope's autograder results.json: one test per criterion, hidden detail kept back."""
    tests = []
    for number, criterion in enumerate(report.criteria, start=1):
        hidden = any(check.hidden for check in criterion.checks)
        tests.append(
            {
                "name": criterion.title,
                "number": str(number),
                "score": criterion.points,
                "max_score": criterion.max_points,
                "status": "passed" if criterion.points >= criterion.max_points else "failed",
                "output": _criterion_output(criterion),
                "tags": [criterion.id],
                "visibility": "after_published" if hidden else "visible",
            }
        )
    output = "\n".join([report.execution.message or "", *_group_lines(report)]).strip()
    if report.late is not None:
        output = (
            f"{output}\nRetard : {report.late.days_late} jour(s), "
            f"pénalité {points(report.late.penalty)} point(s)."
        ).strip()
    return {
        "score": report.score,
        "execution_time": round(report.execution.duration_s, 3),
        "output": output,
        "visibility": "after_published",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"assignment": report.assignment, "submission_hash": report.submission_hash},
    }


def _criterion_output(criterion: CriterionScore) -> str:
    if criterion.manual and not criterion.marked:
        return "Critère noté par l'enseignant·e : en attente."
    lines = [f"[{check.outcome.value}] {check.id} : {check.message}" for check in criterion.checks]
    if criterion.comment:
        lines.append(criterion.comment)
    return "\n".join(lines)


def _feedback(report: GradeReport) -> str:
    failing = report.not_passed
    parts = [f"{points(report.score)} / {points(report.max_score)}"]
    if failing:
        parts.append(f"{failing} vérification(s) non réussie(s)")
    parts += _group_lines(report)
    if report.late is not None:
        parts.append(f"retard de {report.late.days_late} jour(s) : -{points(report.late.penalty)}")
    parts += [  # the instructor's words on the manual criteria (grader manual import, grader mark)
        f"{c.title} : {c.comment}" for c in report.criteria if c.manual and c.marked and c.comment
    ]
    return " ; ".join(parts)


def _group_lines(report: GradeReport) -> list[str]:
    """The group a member handed in with, and their individual adjustment, in French."""
    lines = []
    if report.group is not None:
        lines.append(f"groupe {report.group.name} : {', '.join(report.group.members)}")
    if report.adjustment is not None:
        sign = "+" if report.adjustment.points > 0 else ""
        said = f"ajustement individuel : {sign}{points(report.adjustment.points)}"
        lines.append(f"{said} ({report.adjustment.comment})" if report.adjustment.comment else said)
    return lines
