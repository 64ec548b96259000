"""`grader mark OUT`: serve the marking page of a graded folder until Ctrl-C, then rewrite the
reports and exports from the gradebook, as `grader manual import` does."""

from __future__ import annotations

import json
import os
import signal
import sys
import webbrowser
from pathlib import Path
from types import FrameType

import click

from grader.assignment.load import load_assignment
from grader.cli_common import FORMAT, Exit, errors_to_exit_codes
from grader.errors import GraderError, display_path
from grader.gradebook.manual import template_sources
from grader.gradebook.store import Gradebook
from grader.graded_folder import rerender
from grader.marking.server import Session, serve
from grader.report.i18n import LANGS, Lang
from grader.sandbox.limits import Limits


@click.command("mark")
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--assignment",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The assignment folder: its notebook's text is shown as the question, not the answer.",
)
@click.option("--anonymous", is_flag=True, help="Show stable pseudonyms, not student ids.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="[default: any free one]")
@click.option("--no-browser", is_flag=True, help="Print the page's address only.")
@click.option("--lang", type=click.Choice(LANGS), default="fr", show_default=True)
@FORMAT
@errors_to_exit_codes
def mark(
    out: Path,
    assignment: Path | None,
    anonymous: bool,
    port: int,
    no_browser: bool,
    lang: Lang,
    output_format: str,
) -> None:
    """Mark OUT's manual criteria in a local web page; reports are rewritten at the end.

    Every mark is in the gradebook the moment it is given. The page listens on 127.0.0.1 only,
    behind a token printed here. Ctrl-C ends the marking.

    \b
    Example:
      grader mark out/tp-tokenisation --assignment assignments/tp-tokenisation
    """
    session = _session(out, assignment, anonymous, lang)
    server = serve(session, port)
    url = f"http://127.0.0.1:{session.port}/?token={session.token}"
    if output_format == "json":
        click.echo(json.dumps({"assignment": session.assignment, "url": url}))
    else:
        click.echo(f"marking {session.assignment} at {url}")
    click.echo("Ctrl-C ends the marking and rewrites the reports", err=True)
    if not no_browser and _graphical():
        webbrowser.open(url)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    reports = rerender(out, lang)
    click.echo(f"{len(reports)} report(s) written in {display_path(out / 'reports')}/", err=True)
    sys.exit(Exit.OK)


def _session(out: Path, assignment: Path | None, anonymous: bool, lang: Lang) -> Session:
    path = out / "gradebook.sqlite"
    if not path.is_file():
        raise GraderError(f"{path}: no gradebook here (grade into this folder first)")
    loaded = load_assignment(assignment) if assignment else None
    gradebook = Gradebook(path)
    try:
        graded = gradebook.assignments()
        if loaded is not None and loaded.id not in graded:
            raise GraderError(f"{path}: {loaded.id} was never graded here")
        if loaded is None and len(graded) != 1:
            raise GraderError(f"{path}: {len(graded)} assignments here; name one with --assignment")
        name = loaded.id if loaded else graded[0]
        title = gradebook.title(name)
        reports = [c.report for c in gradebook.current(name).values()]
        if not any(c.manual for r in reports for c in r.criteria):
            raise GraderError(f"{path}: {name} has no manual criterion, nothing to mark")
    finally:
        gradebook.close()
    template = template_sources(loaded.root / loaded.spec.notebook) if loaded else set()
    limits = loaded.limits if loaded else Limits()
    return Session(out, name, title, lang, anonymous, template, limits)


def _graphical() -> bool:
    """A desktop to open the page in: without one, webbrowser would start a text browser in
    this very terminal."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
