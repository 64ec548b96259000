"""The class summary: score histogram, pass rates per criterion and per check, problem notebooks."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from grader.formats import points as format_points
from grader.report.html import _ENVIRONMENTS
from grader.report.i18n import Lang, translator
from grader.results import ExecutionStatus, GradeReport, Outcome

SLOWEST = 5


@dataclass(frozen=True)
class CheckRow:
    id: str
    hidden: bool
    passed: int
    failed: int
    error: int
    total: int


@dataclass(frozen=True)
class CriterionRow:
    id: str
    title: str
    mean_points: float
    max_points: float
    full_marks: int  # students with every point of the criterion
    total: int


def check_rows(reports: Sequence[GradeReport]) -> list[CheckRow]:
    rows: dict[str, CheckRow] = {}
    for report in reports:
        for check in report.checks:
            row = rows.get(check.id, CheckRow(check.id, check.hidden, 0, 0, 0, 0))
            rows[check.id] = CheckRow(
                row.id,
                row.hidden,
                row.passed + (check.outcome is Outcome.PASSED),
                row.failed + (check.outcome is Outcome.FAILED),
                row.error + (check.outcome is Outcome.ERROR),
                row.total + 1,
            )
    return list(rows.values())


def criterion_rows(reports: Sequence[GradeReport]) -> list[CriterionRow]:
    points: dict[str, list[float]] = {}
    titles: dict[str, tuple[str, float]] = {}
    for report in reports:
        for criterion in report.criteria:
            points.setdefault(criterion.id, []).append(criterion.points)
            titles[criterion.id] = (criterion.title, criterion.max_points)
    return [
        CriterionRow(
            id=key,
            title=titles[key][0],
            mean_points=round(statistics.fmean(values), 2),
            max_points=titles[key][1],
            full_marks=sum(v >= titles[key][1] for v in values),
            total=len(values),
        )
        for key, values in points.items()
    ]


@dataclass(frozen=True)
class MemoryPeaks:
    """The kernels' peak memory over a class: what a machine grading it must hold per kernel."""

    median_bytes: float
    max_bytes: int
    max_student: str
    measured: int  # notebooks whose kernels had a cgroup to measure them


@dataclass(frozen=True)
class ManualProgress:
    marked: int
    total: int  # answers to manual criteria: the summary then points to `grader mark`


def manual_progress(reports: Sequence[GradeReport]) -> ManualProgress:
    manual = [c for r in reports for c in r.criteria if c.manual]
    return ManualProgress(sum(c.marked for c in manual), len(manual))


def memory_peaks(reports: Sequence[GradeReport]) -> MemoryPeaks | None:
    """None when no kernel was measured (unsandboxed, or results from before the measure)."""
    peaks = {
        r.student: r.execution.peak_memory_bytes
        for r in reports
        if r.execution.peak_memory_bytes is not None
    }
    if not peaks:
        return None
    student = max(peaks, key=lambda s: (peaks[s], s))
    return MemoryPeaks(statistics.median(peaks.values()), peaks[student], student, len(peaks))


def failing(reports: Sequence[GradeReport]) -> list[GradeReport]:
    """Notebooks that did not run through, or whose checks errored: worth a look first."""
    return sorted(
        (
            r
            for r in reports
            if r.execution.status is not ExecutionStatus.OK
            or any(c.outcome is Outcome.ERROR for c in r.checks)
        ),
        key=lambda r: r.student,
    )


def render_summary(
    reports: Sequence[GradeReport],
    assignment: str,
    title: str,
    lang: Lang = "fr",
    quiz_analysis: str | None = None,
    similarity: bool = False,
) -> str:
    """`quiz_analysis`: the QCM's item analysis (grader.quiz.render_item_analysis), when given;
    `similarity`: link to similarity.html, beside the summary (grader.similarity)."""
    scores = [r.score for r in reports]
    max_score = max((r.max_score for r in reports), default=0.0)
    return (
        _ENVIRONMENTS[lang]
        .get_template("summary.html")
        .render(
            assignment=assignment,
            title=title,
            reports=sorted(reports, key=lambda r: (-r.score, r.student)),
            mean=statistics.fmean(scores) if scores else 0.0,
            median=statistics.median(scores) if scores else 0.0,
            max_score=max_score,
            check_rows=check_rows(reports),
            criterion_rows=criterion_rows(reports),
            manual=manual_progress(reports),
            failing=failing(reports),
            check_errors=[(r.student, c) for r in reports for c in r.check_errors],
            slowest=sorted(reports, key=lambda r: -r.execution.duration_s)[:SLOWEST],
            memory=memory_peaks(reports),
            histogram=Markup(score_histogram(scores, max_score, lang)),
            quiz_analysis=Markup(quiz_analysis) if quiz_analysis else None,
            similarity=similarity,
        )
    )


def score_histogram(
    scores: Sequence[float], max_score: float, lang: Lang = "fr", bins: int = 10
) -> str:
    """An inline SVG bar chart of the scores, in `bins` equal intervals of the scale."""
    width, height, pad = 520, 160, 24
    counts = [0] * bins
    for score in scores:
        position = int(bins * score / max_score) if max_score else 0
        counts[min(max(position, 0), bins - 1)] += 1
    tallest = max(counts, default=0) or 1
    bar = (width - 2 * pad) / bins
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{translator(lang)("histogram_label")}" style="max-width:100%">'
    ]
    for i, count in enumerate(counts):
        h = (height - 2 * pad) * count / tallest
        x, y = pad + i * bar, height - pad - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar - 2:.1f}" height="{h:.1f}" '
            f'fill="#1b7f3b"><title>{count}</title></rect>'
        )
        if count:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{y - 4:.1f}" font-size="11" '
                f'text-anchor="middle">{count}</text>'
            )
    for i in range(bins + 1):
        label = format_points(max_score * i / bins, lang)
        parts.append(
            f'<text x="{pad + i * bar:.1f}" y="{height - 6}" font-size="10" '
            f'text-anchor="middle" fill="#5f6368">{label}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
