"""The `grader` command: parse, call the API, turn errors into messages and exit codes."""

from __future__ import annotations

import json
import secrets
import sys
import traceback
from collections.abc import Callable
from enum import IntEnum
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

import grader
from grader.bench.cli import bench
from grader.errors import display_path
from grader.mirror.cli import mirror
from grader.quiz.cli import quiz
from grader.report.html import format_points
from grader.results import GradeReport, Outcome, report_to_dict
from grader.sandbox.backends import BACKEND_NAMES, BackendName, select_backend
from grader.sandbox.cli import doctor
from grader.sandbox.limits import format_size


class Exit(IntEnum):
    OK = 0  # every check passed
    CHECKS_FAILED = 1  # some check failed or errored
    USAGE = 2  # usage or configuration error: the message names file, line and field
    BUG = 3  # a bug in grader: traceback plus "this is a bug"


F = TypeVar("F", bound=Callable[..., Any])
FORMAT = click.option(
    "--format",
    "output_format",
    type=click.Choice(["terminal", "json"]),
    default="terminal",
    show_default=True,
    help="Output for people or programs.",
)

MIRROR = click.option(
    "--mirror",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path.home() / ".cache" / "grader" / "mirror",
    show_default=True,
    help="Offline model cache for assignments that load models (built on first use).",
)

SANDBOX = click.option(
    "--sandbox",
    type=click.Choice(BACKEND_NAMES),
    default="auto",
    show_default=True,
    help="Isolation of student kernels; auto picks the best that works here and says which.",
)


def errors_to_exit_codes(command: F) -> F:
    """One error funnel: a user's mistake is one clear line, a bug is a traceback."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except grader.GraderError as error:
            click.echo(f"grader: {error}", err=True)
            sys.exit(Exit.USAGE)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception:
            click.echo(traceback.format_exc(), err=True)
            click.echo(
                "grader: this is a bug in grader; please report it with the traceback above.",
                err=True,
            )
            sys.exit(Exit.BUG)

    return run  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="grader")
def main() -> None:
    """Grade Jupyter notebooks in sandboxed kernels against reference implementations."""


@main.command()
@click.argument("assignment", type=click.Path(path_type=Path))
@click.argument("submissions", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder for results/, reports/, gradebook.csv, summary.html.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Submissions graded at once [default: the machine's cores].",
)
@click.option("--junit", type=click.Path(path_type=Path), help="Also write JUnit XML here.")
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="Grade on a Dask cluster, e.g. tcp://10.0.0.5:8786 (its workers must see the "
    "assignment and the mirror at the same paths).",
)
@click.option(
    "--seed",
    type=int,
    default=None,
    help="Secret seed of the checks' inputs [default: a fresh random one per run].",
)
@SANDBOX
@click.option(
    "--unsafe-no-sandbox",
    is_flag=True,
    help="Allow --sandbox none (or no backend at all): trusted notebooks only.",
)
@MIRROR
@FORMAT
@errors_to_exit_codes
def grade(
    assignment: Path,
    submissions: tuple[Path, ...],
    out: Path,
    jobs: int | None,
    junit: Path | None,
    scheduler: str | None,
    seed: int | None,
    sandbox: BackendName,
    unsafe_no_sandbox: bool,
    mirror: Path,
    output_format: str,
) -> None:
    """Grade a class: every SUBMISSION (a notebook, or a student's folder) of ASSIGNMENT.

    \b
    Example:
      grader grade assignments/tp-attention submissions/*.ipynb --out out/tp-attention
      grader grade assignments/tp-attention submissions/*.ipynb --out out \\
        --scheduler tcp://cluster-head:8786
    """
    loaded = grader.load_assignment(assignment)
    batch = grader.collect_submissions(list(submissions))
    backend = select_backend(sandbox, "grade", unsafe_no_sandbox)
    click.echo(backend.notice, err=output_format == "json")
    others = tuple(submission.path.resolve() for submission in batch)
    jobs = jobs or grader.default_jobs()
    options = grader.GradeOptions(
        seed=seed if seed is not None else secrets.randbits(64),
        sandbox=backend.name,
        protected=(loaded.root.resolve(), out.resolve(), *others),
        mirror=grader.prepare_mirror(loaded, mirror),
        max_threads=None if scheduler else grader.threads_per_kernel(jobs),
    )
    tree = grader.OutputTree(out, loaded, options)
    terminal = output_format == "terminal"
    if terminal:
        where = f"on {scheduler}" if scheduler else f"{jobs} at a time"
        threads = min(loaded.limits.cpu_threads, options.max_threads or loaded.limits.cpu_threads)
        memory = format_size(loaded.limits.memory_bytes)
        click.echo(
            f"grader: {loaded.id}, {len(batch)} submission(s), {where}, "
            f"{threads} thread(s) and up to {memory} per kernel"
        )

    def on_report(report: GradeReport) -> None:
        tree.add(report)
        if terminal:
            click.echo(_report_line(report))

    result = grader.grade_batch(loaded.root, batch, options, jobs, on_report, scheduler)
    tree.finish(result.reports, junit)
    for student, trace in result.crashed:
        click.echo(
            f"{trace}\ngrader: grading '{student}' hit a bug in grader; the other "
            "results are saved. Please report it with the traceback above.",
            err=True,
        )
    if terminal:
        mean = sum(r.score for r in result.reports) / max(len(result.reports), 1)
        top = result.reports[0].max_score if result.reports else 0
        click.echo(
            f"mean {format_points(mean)} / {format_points(top)}; reports in "
            f"{display_path(out / 'reports')}/, class summary in "
            f"{display_path(out / 'summary.html')}"
        )
    else:
        click.echo(json.dumps([_json_summary(r) for r in result.reports], ensure_ascii=False))
    if result.crashed:
        sys.exit(Exit.BUG)
    sys.exit(Exit.OK if all(r.all_passed for r in result.reports) else Exit.CHECKS_FAILED)


@main.command()
@click.argument("notebook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--assignment",
    type=click.Path(path_type=Path),
    help="The assignment folder [default: found from the notebook's metadata].",
)
@SANDBOX
@MIRROR
@FORMAT
@errors_to_exit_codes
def check(
    notebook: Path, assignment: Path | None, sandbox: BackendName, mirror: Path, output_format: str
) -> None:
    """Self-check NOTEBOOK before handing it in: the public checks only.

    \b
    Example:
      grader check tp-attention.ipynb
    """
    loaded = grader.load_assignment(assignment or grader.find_assignment(notebook))
    backend = select_backend(sandbox, "check")
    click.echo(backend.notice, err=output_format == "json")
    options = grader.GradeOptions(
        seed=secrets.randbits(64),
        public_only=True,
        sandbox=backend.name,
        protected=(loaded.root.resolve(),),
        mirror=grader.prepare_mirror(loaded, mirror),
    )
    report = grader.grade_submission(loaded, grader.find_submission(notebook), options)
    if output_format == "json":
        click.echo(json.dumps(report_to_dict(report), ensure_ascii=False, indent=2))
    else:
        click.echo(f"{loaded.spec.title} — vérifications publiques de {notebook.name}")
        if report.execution.message:
            click.echo(f"  ! {report.execution.message}")
        for result in report.checks:
            mark = {"passed": "✓", "failed": "✗", "error": "!", "skipped": "·"}[result.outcome]
            click.echo(f"  {mark} {result.id} : {result.message}")
        click.echo(
            f"Note indicative (vérifications publiques seulement) : "
            f"{format_points(report.score)} / {format_points(report.max_score)}"
        )
    sys.exit(Exit.OK if report.all_passed else Exit.CHECKS_FAILED)


@main.command()
@click.argument("assignment", type=click.Path(path_type=Path))
@SANDBOX
@MIRROR
@FORMAT
@errors_to_exit_codes
def validate(assignment: Path, sandbox: BackendName, mirror: Path, output_format: str) -> None:
    """Check ASSIGNMENT: valid YAML, full marks for the solution, none for the template.

    \b
    Example:
      grader validate assignments/tp-attention
    """
    loaded = grader.load_assignment(assignment)
    backend = select_backend(sandbox, "check")
    click.echo(backend.notice, err=True)
    validation = grader.validate_assignment(
        loaded, grader.prepare_mirror(loaded, mirror), backend.name
    )
    if output_format == "json":
        click.echo(
            json.dumps(
                {"assignment": loaded.id, "ok": validation.ok, "problems": validation.problems},
                ensure_ascii=False,
            )
        )
    elif validation.ok:
        click.echo(
            f"{loaded.id}: valid: the solution scores "
            f"{format_points(validation.solution.score)} / "
            f"{format_points(validation.solution.max_score)}, the template passes no check"
        )
    else:
        click.echo(f"{loaded.id}: {len(validation.problems)} problem(s)")
        for problem in validation.problems:
            click.echo(f"  - {problem}")
    sys.exit(Exit.OK if validation.ok else Exit.CHECKS_FAILED)


@main.command()
@click.argument("assignment", type=click.Path(path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder where the student bundle <id>/ is written.",
)
@FORMAT
@errors_to_exit_codes
def release(assignment: Path, out: Path, output_format: str) -> None:
    """Write the student bundle of ASSIGNMENT: template notebook and public checks.

    \b
    Example:
      grader release assignments/tp-attention --out dist/
    """
    bundle = grader.release(grader.load_assignment(assignment), out)
    if output_format == "json":
        click.echo(json.dumps({"bundle": str(bundle)}))
    else:
        click.echo(f"student bundle written to {display_path(bundle)}/")


main.add_command(quiz)
main.add_command(bench)
main.add_command(mirror)
main.add_command(doctor)


def _report_line(report: GradeReport) -> str:
    status = report.execution.status.value
    failing = sum(c.outcome in (Outcome.FAILED, Outcome.ERROR) for c in report.checks)
    note = f", {failing} check(s) not passed" if failing else ""
    return (
        f"  {report.student:<20} {format_points(report.score):>6} / "
        f"{format_points(report.max_score):<4} {status}{note}"
    )


def _json_summary(report: GradeReport) -> dict[str, Any]:
    return {
        "student": report.student,
        "score": report.score,
        "max_score": report.max_score,
        "status": report.execution.status.value,
        "all_passed": report.all_passed,
    }
