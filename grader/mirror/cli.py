"""`grader mirror build`: the command line of build_mirror (registered by grader/cli.py)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from grader.cli_common import FORMAT, errors_to_exit_codes
from grader.mirror.build import DEFAULT_MODELS, build_mirror


@click.group()
def mirror() -> None:
    """The offline Hugging Face cache that sandboxed kernels load models from."""


@mirror.command()
@click.option(
    "--models",
    "models",
    multiple=True,
    metavar="NAME[,NAME...]",
    help=f"Models to mirror, repeated or comma-separated; default {', '.join(DEFAULT_MODELS)}.",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The mirror's folder (use it as HF_HOME).",
)
@click.option(
    "--from-cache",
    "from_cache",
    type=click.Path(file_okay=False, path_type=Path),
    help="Copy every model, real, from this Hugging Face cache (HF_HOME or its hub/ folder).",
)
@FORMAT
@errors_to_exit_codes
def build(
    models: tuple[str, ...], out_dir: Path, from_cache: Path | None, output_format: str
) -> None:
    """Build the mirror, or reuse the models it already holds complete.

    \b
    Example:
      grader mirror build --out ~/.cache/grader-mirror
      grader mirror build --models gpt2 --out mirror --from-cache ~/.cache/huggingface
    """
    names = [name.strip() for group in models for name in group.split(",") if name.strip()]
    result = build_mirror(names or DEFAULT_MODELS, out_dir, from_cache)
    if output_format == "json":
        payload = {
            "root": str(result.root),
            "env": result.env(),
            "models": [
                {"id": m.repo_id, "revision": m.revision, "source": m.source, "reused": m.reused}
                for m in result.models
            ],
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    for model in result.models:
        state = "reused" if model.reused else "written"
        click.echo(f"{model.repo_id}: {state}, {model.source}")
    click.echo(f"mirror ready: HF_HOME={result.root} HF_HUB_OFFLINE=1")
