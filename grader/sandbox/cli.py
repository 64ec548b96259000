"""The `grader doctor` command (registered by grader/cli.py)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from grader.cli_common import FORMAT, errors_to_exit_codes
from grader.errors import GraderError


@click.command()
@click.option(
    "--mirror",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The offline model mirror the kernels will see.",
)
@FORMAT
@errors_to_exit_codes
def doctor(mirror: Path | None, output_format: str) -> None:
    """Say which isolation primitives work here, one line each, with the fix for each missing one.

    Example: grader doctor --mirror ~/.cache/grader-mirror
    """
    from grader.sandbox.doctor import diagnose
    from grader.sandbox.selection import select_backend

    statuses = diagnose(mirror)
    try:
        chosen = select_backend("auto", "grade").notice
    except GraderError as exc:
        chosen = str(exc)
    if output_format == "json":
        click.echo(json.dumps({"primitives": [asdict(s) for s in statuses], "auto": chosen}))
    else:
        for status in statuses:
            mark = (
                click.style("ok  ", fg="green") if status.ok else click.style("MISSING", fg="red")
            )
            fix = f"  -> {status.fix}" if status.fix and not status.ok else ""
            click.echo(f"{mark} {status.name}: {status.detail}{fix}")
        click.echo(f"grade would use: {chosen}")
    raise SystemExit(0 if all(s.ok for s in statuses) else 1)
