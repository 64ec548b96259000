"""The French HTML of a student's benchmark: a section the main report embeds, or a whole page."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import jinja2
import markupsafe

from grader.bench.records import result_to_dict
from grader.bench.scoring import BenchResult
from grader.report.i18n import Lang

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.5em; vertical-align: top; text-align: left; }
caption { font-weight: bold; text-align: left; }
pre { white-space: pre-wrap; margin: 0; font-size: 0.9em; max-width: 40em; }
@media print { details { display: block; } }
"""
# Travels with the section, so that it looks the same embedded in the grading report.
_SECTION_STYLE = """<style>
section.bench ul { margin: 0; padding-left: 1em; }
section.bench pre { white-space: pre-wrap; margin: 0; max-width: 40em; }
.bench-winner { background: #eef7ee; font-weight: bold; }
.bench-warning { color: #8a5300; }
.bench .grade-0 td:nth-child(4) { color: #b00020; }
.bench .grade-2 td:nth-child(4) { color: #1b6e20; }
.bench li.ko { color: #b00020; } .bench li.info { color: #666; }
</style>
"""


METRIC_NAMES = {"accuracy": "Exactitude", "macro-f1": "F1 macro"}


def french_number(value: float, decimals: int = 2) -> str:
    """1.75 -> "1,75": a decimal comma, as French readers expect."""
    return f"{value:.{decimals}f}".replace(".", ",")


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("grader.bench", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["nombre"] = french_number
    return environment


def render_bench_section(result: BenchResult) -> str:
    """One `<section>`: per prompt the cases with output, grade and reasons; means; agreement."""
    return render_bench_data(result_to_dict(result))


def render_bench_kind(data: dict[str, Any], lang: Lang) -> str:
    """The renderer of report sections of kind "bench" (grader.report.sections), in French
    whatever the report's language."""
    del lang
    return render_bench_data(data)


def render_bench_data(result: Mapping[str, Any]) -> str:
    """The same section from the result's JSON (`result_to_dict`), as a check's report section
    carries it: the renderer of report sections of kind "bench"."""
    template = _environment().get_template("bench_section.html.j2")
    prompts = result["prompts"]
    metrics = prompts[0]["metrics"] if prompts else ()
    analysis = result["analysis"]
    return template.render(
        style=markupsafe.Markup(_SECTION_STYLE),
        result=result,
        titles={p["prompt"]: p["title"] or p["prompt"] for p in prompts},
        metric_names=[METRIC_NAMES.get(m["type"], m["type"]) for m in metrics],
        means={m["prompt"]: m for m in analysis["means"]} if analysis else {},
    )


def render_bench_page(result: BenchResult) -> str:
    """A self-contained, printable page around the section (inline CSS, no external file)."""
    title = markupsafe.escape(f"{result.student} : {result.title or result.rubric}")
    return (
        '<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{title}</h1>\n{render_bench_section(result)}\n</body>\n</html>\n"
    )
