"""Self-contained HTML: one report per student (inline CSS and SVG, no external request)."""

from __future__ import annotations

from importlib import resources

import jinja2
from markupsafe import Markup

from grader import formats
from grader.messages import localized
from grader.report.i18n import Lang, translator
from grader.report.sections import SECTION_RENDERERS, render_section
from grader.results import CheckResult, ExecutionRecord, GradeReport

__all__ = ["SECTION_RENDERERS", "render_report"]


_CSS = resources.files("grader.report").joinpath("templates/base.css").read_text("utf-8")


def environment(lang: Lang) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("grader.report", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(
        lang=lang,
        t=translator(lang),
        fmt=lambda points: formats.points(points, lang),
        percent=lambda value: formats.percent(value, lang),
        seconds=lambda value: formats.seconds(value, lang),
        size=lambda value: formats.size(int(value), lang),
        date=lambda iso: formats.date(iso, lang),
        said=lambda result: said(result, lang),
        css=Markup(_CSS),  # ours: escaped, `.bar > span` became `.bar &gt; span` and no bar showed
        render_section=lambda section: render_section(section, lang),
    )
    return env


def said(result: CheckResult | ExecutionRecord, lang: Lang) -> str:
    """A result's message in `lang`: a check author's own text as written."""
    return localized(result.message_key, result.message_params, result.message or "", lang)


_ENVIRONMENTS = {lang: environment(lang) for lang in ("fr", "en")}


def render_report(report: GradeReport, title: str, lang: Lang = "fr") -> str:
    return _ENVIRONMENTS[lang].get_template("report.html").render(report=report, title=title)
