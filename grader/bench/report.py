"""The French HTML of a student's benchmark: a section the main report embeds, or a whole page."""

from __future__ import annotations

from functools import lru_cache

import jinja2
import markupsafe

from grader.bench.scoring import BenchResult

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.5em; vertical-align: top; text-align: left; }
caption { font-weight: bold; text-align: left; }
pre { white-space: pre-wrap; margin: 0; font-size: 0.9em; max-width: 40em; }
ul { margin: 0; padding-left: 1em; }
.bench-winner { background: #eef7ee; font-weight: bold; }
.bench-warning { color: #8a5300; }
.grade-0 td:nth-child(4) { color: #b00020; } .grade-2 td:nth-child(4) { color: #1b6e20; }
li.ko { color: #b00020; } li.info { color: #666; }
@media print { details { display: block; } }
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
    template = _environment().get_template("bench_section.html.j2")
    metrics = result.prompts[0].metrics if result.prompts else ()
    metric_names = [METRIC_NAMES.get(m.type, m.type) for m in metrics]
    return template.render(
        result=result,
        titles={p.prompt: p.title or p.prompt for p in result.prompts},
        metric_names=metric_names,
        means={m.prompt: m for m in result.analysis.means} if result.analysis else {},
    )


def render_bench_page(result: BenchResult) -> str:
    """A self-contained, printable page around the section (inline CSS, no external file)."""
    title = markupsafe.escape(f"{result.student} : {result.title or result.rubric}")
    return (
        '<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{title}</h1>\n{render_bench_section(result)}\n</body>\n</html>\n"
    )
