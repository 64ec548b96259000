"""`grader bench ...`: score prompt benchmarks recorded outside a notebook."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from grader.cli_common import FORMAT, Exit, errors_to_exit_codes

if TYPE_CHECKING:
    from grader.bench.records import OutputTable
    from grader.bench.scoring import BenchResult


@click.group("bench")
def bench() -> None:
    """Prompt benchmarks scored against a YAML rubric (assertions, 0/1/2 grid, best prompt)."""


@bench.command("score")
@click.argument("rubric", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("outputs", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Writes results/<student>.json and reports/<student>.html here.",
)
@click.option(
    "--encoding",
    help="The table's encoding; by default UTF-8 (with or without BOM), else cp1252/Latin-1.",
)
@click.option(
    "--judge-url",
    help="OpenAI-compatible endpoint of the judge model (llm-rubric, factuality, "
    "answer-relevance); overrides the rubric's judge.",
)
@click.option("--judge-model", help="The judge model's name, with --judge-url.")
@click.option(
    "--mirror",
    type=click.Path(file_okay=False, path_type=Path),
    help="Offline model mirror (grader mirror build) for perplexity and classifier models.",
)
@FORMAT
@errors_to_exit_codes
def score(
    rubric: Path,
    outputs: Path,
    out_dir: Path,
    encoding: str | None,
    judge_url: str | None,
    judge_model: str | None,
    mirror: Path | None,
    output_format: str,
) -> None:
    """Score recorded OUTPUTS (CSV or JSONL: student, case, prompt, output, optional grade)
    against RUBRIC, one result and one French report per student. CSV separators: `,` `;` or
    tab. A bad row loses only what is bad in it; every problem is printed on stderr.

    \b
    Example:
      grader bench score rubrics/tp3-prompting-bench.yaml sorties.csv --out notes/

    Exit codes: 0 scored; 1 some assertion could not be judged (an instructor's function
    raised); 2 the rubric or the table is invalid (the message names file, line and field).
    """
    from grader.bench.grading import score_outputs, tools_for, write_result
    from grader.bench.load import load_rubric
    from grader.bench.records import read_outputs, result_to_dict
    from grader.bench.rubric import JudgeEndpoint

    if (judge_url is None) != (judge_model is None):
        raise click.UsageError("give --judge-url and --judge-model together")
    loaded = load_rubric(rubric)
    judge = None
    if judge_url is not None:
        judge = JudgeEndpoint(base_url=judge_url, model=str(judge_model))
    tools = tools_for(loaded, judge=judge, mirror=mirror)
    table = read_outputs(outputs, encoding)
    results = score_outputs(loaded, table.rows, tools, problems=table.problems)
    for result in results:
        write_result(result, out_dir)
    _warn(table, results)
    if output_format == "json":
        click.echo(json.dumps([result_to_dict(r) for r in results], ensure_ascii=False, indent=2))
    else:
        for result in results:
            means = "  ".join(
                f"{p.prompt} {p.mean:.2f}{'*' if p.prompt in result.winners else ''}"
                for p in result.prompts
            )
            kappa = result.analysis.kappa if result.analysis else None
            agreement = "" if kappa is None else f"  kappa {kappa:.2f}"
            click.echo(f"{result.student}: {means}{agreement}")
        click.echo(f"{len(results)} student(s) scored; results in {out_dir}")
    errored = any(
        a.error for r in results for p in r.prompts for c in p.cases for a in c.assertions
    )
    sys.exit(Exit.CHECKS_FAILED if errored else Exit.OK)


def _warn(table: OutputTable, results: list[BenchResult]) -> None:
    """Every problem of the table, and what each report warns about, on stderr."""
    from grader.bench.embeddings import SIMILAR_WARNING

    for notice in table.notices:
        click.echo(f"warning: {notice}", err=True)
    for problem in table.problems:
        click.echo(f"warning: {problem.error}", err=True)
    for result in results:
        for warning in result.warnings:
            if warning != SIMILAR_WARNING and warning not in table.warnings_for(result.student):
                click.echo(f"warning: {result.student}: {warning}", err=True)


@bench.command("generate")
@click.argument("rubric", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The JSONL table of outputs to write (input of `bench score`).",
)
@click.option(
    "--model-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="A local transformers model directory (offline mirror).",
)
@click.option("--base-url", help="An OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1.")
@click.option("--model", help="The model name sent to --base-url.")
@click.option(
    "--student", default="reference", show_default=True, help="The student id written in each row."
)
@click.option("--max-new-tokens", default=64, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=0, show_default=True, type=int)
@errors_to_exit_codes
def generate(
    rubric: Path,
    out_file: Path,
    model_dir: Path | None,
    base_url: str | None,
    model: str | None,
    student: str,
    max_new_tokens: int,
    seed: int,
) -> None:
    """Run the RUBRIC's prompt templates on every case through a model, greedy decoding, and
    write the outputs as JSONL.

    \b
    Example:
      grader bench generate rubrics/tp3-prompting-bench.yaml --model-dir mirror/gpt2 \\
          --out sorties.jsonl
    """
    from grader.bench.load import load_rubric
    from grader.bench.providers import LocalPipeline, OpenAICompatible, Provider, generate_outputs

    if (model_dir is None) == (base_url is None) or (base_url is not None and not model):
        raise click.UsageError("give either --model-dir, or --base-url with --model")
    loaded = load_rubric(rubric)
    templates = {}
    for index, prompt in enumerate(loaded.spec.prompts):
        if prompt.template is None:
            raise loaded.error(
                ("prompts", index, "template"),
                f"prompt {prompt.id!r} has no template to generate from",
            )
        templates[prompt.id] = prompt.template
    provider: Provider = (
        LocalPipeline(model_dir, max_new_tokens=max_new_tokens, seed=seed)
        if model_dir is not None
        else OpenAICompatible(str(base_url), str(model), max_tokens=max_new_tokens, seed=seed)
    )
    rows = generate_outputs(provider, student, templates, loaded.spec.cases)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    with out_file.open("w", encoding="utf-8") as out:
        for row in rows:
            record = {
                "student": row.student,
                "case": row.case,
                "prompt": row.prompt,
                "output": row.output,
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    click.echo(f"{len(rows)} output(s) written to {out_file}")
