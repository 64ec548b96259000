"""Self-contained HTML: one report per student (inline CSS and SVG, no external request)."""

from __future__ import annotations

from importlib import resources

import jinja2

from grader.report.i18n import Lang, translator
from grader.report.i18n import format_points as _format_points
from grader.report.sections import SECTION_RENDERERS, render_section
from grader.results import GradeReport

__all__ = ["SECTION_RENDERERS", "format_points", "render_report"]


def format_points(points: float) -> str:
    """14.5 -> "14,5"; 20.0 -> "20" (French decimal comma)."""
    return _format_points(points, "fr")


def environment(lang: Lang) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("grader.report", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(
        lang=lang,
        t=translator(lang),
        fmt=lambda points: _format_points(points, lang),
        css=resources.files("grader.report").joinpath("templates/base.css").read_text("utf-8"),
        render_section=lambda section: render_section(section, lang),
    )
    return env


_ENVIRONMENTS = {lang: environment(lang) for lang in ("fr", "en")}


def render_report(report: GradeReport, title: str, lang: Lang = "fr") -> str:
    return _ENVIRONMENTS[lang].get_template("report.html").render(report=report, title=title)
