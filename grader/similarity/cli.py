"""`grader similarity OUT`: the command line of grader.similarity (registered by grader/cli.py)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from grader.assignment.load import load_assignment
from grader.cli_common import EXISTING_FILE, FORMAT, errors_to_exit_codes
from grader.errors import display_path
from grader.report.i18n import LANGS, Lang
from grader.similarity.run import graded_assignment, similarity_report

GROUPS = click.option(
    "--groups",
    type=EXISTING_FILE,
    help="A group roster (CSV with the columns group,student): pairs of one group are marked.",
)


@click.command()
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--assignment",
    type=click.Path(path_type=Path),
    help="The assignment graded in OUT (its template's code never counts) "
    "[default: found from a graded notebook's metadata].",
)
@GROUPS
@click.option(
    "--instructor",
    "instructor",
    multiple=True,
    metavar="STUDENT",
    help="A graded id that is the instructor's own notebook (an example): not compared. "
    "Repeat it for each.",
)
@click.option(
    "--lang",
    type=click.Choice(LANGS),
    default="fr",
    show_default=True,
    help="Language of the page.",
)
@FORMAT
@errors_to_exit_codes
def similarity(
    out: Path,
    assignment: Path | None,
    groups: Path | None,
    instructor: tuple[str, ...],
    lang: Lang,
    output_format: str,
) -> None:
    """Which graded notebooks of OUT share code beyond the template: OUT/similarity.html, .csv.

    A high similarity is a reason to look at both notebooks, never a verdict.

    \b
    Example:
      grader similarity out/tp-attention
      grader similarity out/tp-attention --assignment assignments/tp-attention --groups groups.csv
    """
    loaded = load_assignment(assignment or graded_assignment(out))
    result = similarity_report(out, loaded, groups, lang, instructor)
    comparison = result.comparison
    if output_format == "json":
        pairs = [
            {
                "students": [p.first, p.second],
                "shares": list(p.shares),
                "stands_out": comparison.flagged(p),
                "group": p.group,
            }
            for p in comparison.pairs
        ]
        payload = {"page": str(result.page), "threshold": comparison.threshold, "pairs": pairs}
        click.echo(json.dumps(payload, ensure_ascii=False))
        return
    click.echo(
        f"{comparison.compared} notebook(s) compared; threshold {comparison.threshold:.0%} "
        f"(from the class); {len(result.flagged)} pair(s) stand out, a reason to look, "
        f"not a verdict: {display_path(result.page)}"
    )
    for pair in comparison.pairs:
        if comparison.flagged(pair):
            shares = " / ".join(f"{share:.0%}" for share in pair.shares)
            click.echo(f"  {pair.first} — {pair.second}: {shares} of their own code")
