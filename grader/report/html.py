"""Self-contained HTML: one report per student, and the class summary (inline CSS and SVG)."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from grader.bench.report import render_bench_data
from grader.results import GradeReport, Outcome

OUTCOME_LABELS = {
    "passed": "réussi",
    "failed": "échoué",
    "error": "erreur",
    "skipped": "non exécuté",
}
STATUS_LABELS = {
    "ok": "terminée",
    "error": "terminée avec des erreurs",
    "timeout": "temps dépassé",
    "memory": "mémoire dépassée",
    "output-limit": "sortie trop volumineuse",
    "killed": "noyau arrêté",
    "startup-failed": "non exécuté",
}
CELL_LABELS = {
    "ok": "ok",
    "error": "erreur",
    "timeout": "temps dépassé",
    "output-limit": "sortie tronquée",
    "killed": "noyau arrêté",
    "not-run": "non exécutée",
}


def format_points(points: float) -> str:
    """14.5 -> "14,5"; 20.0 -> "20" (French decimal comma)."""
    return f"{points:.2f}".rstrip("0").rstrip(".").replace(".", ",")


# Renderers of the sections checks may produce, by kind: data (plain JSON) -> an HTML fragment.
SECTION_RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "bench": render_bench_data,  # prompt benchmarks, see grader.bench
}


def render_section(section: dict[str, Any]) -> Markup:
    renderer = SECTION_RENDERERS.get(section["kind"])
    if renderer is None:
        raise ValueError(f"no renderer for report sections of kind {section['kind']!r}")
    return Markup(renderer(section["data"]))


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("grader.report", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(
        fmt=format_points,
        css=resources.files("grader.report").joinpath("templates/base.css").read_text("utf-8"),
        outcome_label=OUTCOME_LABELS,
        status_label=STATUS_LABELS,
        cell_label=CELL_LABELS,
        render_section=render_section,
    )
    return env


_ENV = _environment()


def render_report(report: GradeReport, title: str) -> str:
    sections = [c.section for c in report.checks if c.section is not None]
    return _ENV.get_template("report.html").render(report=report, title=title, sections=sections)


@dataclass(frozen=True)
class CheckRow:
    id: str
    hidden: bool
    passed: int
    failed: int
    error: int
    total: int


def render_summary(reports: Sequence[GradeReport], assignment: str, title: str) -> str:
    scores = [r.score for r in reports]
    max_score = max((r.max_score for r in reports), default=0.0)
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
    return _ENV.get_template("summary.html").render(
        assignment=assignment,
        title=title,
        reports=sorted(reports, key=lambda r: (-r.score, r.student)),
        mean=statistics.fmean(scores) if scores else 0.0,
        median=statistics.median(scores) if scores else 0.0,
        max_score=max_score,
        check_rows=list(rows.values()),
        histogram=score_histogram(scores, max_score),
    )


def score_histogram(scores: Sequence[float], max_score: float, bins: int = 10) -> str:
    """An inline SVG bar chart of the scores, in `bins` equal intervals of the scale."""
    width, height, pad = 520, 160, 24
    counts = [0] * bins
    for score in scores:
        position = int(bins * score / max_score) if max_score else 0
        counts[min(position, bins - 1)] += 1
    tallest = max(counts, default=0) or 1
    bar = (width - 2 * pad) / bins
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="histogramme des notes" style="max-width:100%">'
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
        label = format_points(max_score * i / bins)
        parts.append(
            f'<text x="{pad + i * bar:.1f}" y="{height - 6}" font-size="10" '
            f'text-anchor="middle" fill="#5f6368">{label}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
