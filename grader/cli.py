"""The `grader` command: parse, call the API, turn errors into messages and exit codes."""

from __future__ import annotations

import contextlib
import importlib
import json
import secrets
import sys
from functools import partial
from pathlib import Path
from typing import Any

import click

import grader
from grader import distribution
from grader.checks.reference import run_store
from grader.cli_common import FORMAT, Exit, errors_to_exit_codes, verdict
from grader.errors import display_path
from grader.mirror import DEFAULT_ROOT
from grader.report.check_lines import self_check_lines
from grader.report.html import format_points
from grader.report.i18n import LANGS, Lang
from grader.report.terminal import BatchProgress, check_error_lines, peak_memory_line
from grader.results import GradeReport, report_to_dict
from grader.sandbox.backends import BACKEND_NAMES, BackendName, select_backend
from grader.sandbox.limits import format_size

MIRROR = click.option(
    "--mirror",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_ROOT,
    show_default=True,
    help="Offline model cache for assignments that load models (built on first use).",
)

LANG = click.option(
    "--lang",
    type=click.Choice(LANGS),
    default="fr",
    show_default=True,
    help="Language of the reports.",
)

SANDBOX = click.option(
    "--sandbox",
    type=click.Choice(BACKEND_NAMES),
    default="auto",
    show_default=True,
    help="Isolation of student kernels; auto picks the best that works here and says which.",
)


class Commands(click.Group):
    """The command groups of other subpackages, imported only when they are used."""

    lazy = {
        "quiz": "grader.quiz.cli:quiz",
        "bench": "grader.bench.cli:bench",
        "mirror": "grader.mirror.cli:mirror",
        "doctor": "grader.sandbox.cli:doctor",
        "mark": "grader.marking.cli:mark",
        "similarity": "grader.similarity.cli:similarity",
    }

    extras = {"mark": "mark"}  # a command whose module imports an extra's package

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            module, attribute = self.lazy[name].split(":")
            try:
                loaded = importlib.import_module(module)
            except ImportError as exc:
                extra = self.extras.get(name)
                if extra is None:
                    raise
                raise click.ClickException(
                    str(distribution.missing_extra(exc, extra, f"grader {name}"))
                ) from exc
            command: click.Command = getattr(loaded, attribute)
            return command
        return super().get_command(ctx, name)


def _show_version(ctx: click.Context, value: bool) -> None:
    """--version, looked up only when asked (click's own looks the distribution up by name)."""
    if value and not ctx.resilient_parsing:
        click.echo(f"grader ({distribution.DISTRIBUTION}) {distribution.version()}")
        ctx.exit()


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=lambda ctx, _param, value: _show_version(ctx, value),
    help="Show the version and exit.",
)
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
@click.option(
    "--force", is_flag=True, help="Regrade unchanged submissions already in the gradebook."
)
@click.option(
    "--fresh-kernels",
    is_flag=True,
    help="Start every kernel from scratch, even when assignment.yaml declares `preload:` "
    "(kernels are otherwise forked from one parent that imported those modules once).",
)
@LANG
@click.option(
    "--similarity",
    "compare_code",
    is_flag=True,
    help="Then compare the class's code: OUT/similarity.html and .csv (as `grader similarity`).",
)
@click.option(
    "--extensions",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Late work: per-student due dates or extra days (YAML or CSV student,extension).",
)
@click.option(
    "--submitted-at",
    "lms_export",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Late work: an LMS export (CSV) giving each student's submission time "
    "[default: the files' modification time].",
)
@click.option(
    "--time-column",
    default="submitted_at",
    show_default=True,
    help="The column of --submitted-at holding the time (ISO 8601).",
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
    force: bool,
    fresh_kernels: bool,
    lang: Lang,
    compare_code: bool,
    extensions: Path | None,
    lms_export: Path | None,
    time_column: str,
    mirror: Path,
    output_format: str,
) -> None:
    """Grade a class: every SUBMISSION (a notebook, or a student's folder) of ASSIGNMENT.

    Each result is stored in DIR/gradebook.sqlite as soon as it is graded: run the same
    command again after an interruption and only what is missing is graded.

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
    # A submission that is a link is never read (grader/submission.py): protecting its target,
    # which the student chose (/usr, say), would refuse every box of the class.
    others = tuple(s.path.resolve() for s in batch if not s.path.is_symlink())
    jobs = jobs or grader.default_jobs()
    # The batch's workers share their @reference values there (a Dask worker on this machine too).
    store = click.get_current_context().with_resource(run_store())
    options = grader.GradeOptions(
        seed=seed if seed is not None else secrets.randbits(64),
        sandbox=backend,
        protected=(loaded.root.resolve(), out.resolve(), *others, store),
        mirror=grader.prepare_mirror(loaded, mirror),
        max_threads=None if scheduler else grader.threads_per_kernel(jobs),
        fresh_kernels=fresh_kernels,
        reference_store=store,
    )
    late = grader.late_policy(loaded, extensions)
    times = grader.read_lms_times(lms_export, time_column) if lms_export else None
    tree = grader.OutputTree(out, loaded, options, lang=lang, late=late, submitted_at=times)
    pending = tree.plan(batch, force)
    terminal = output_format == "terminal"
    if changes := tree.changes.line():
        click.echo(f"grader: {changes}", err=not terminal)
    if terminal:
        where = f"on {scheduler}" if scheduler else f"{jobs} at a time"
        threads = min(loaded.limits.cpu_threads, options.max_threads or loaded.limits.cpu_threads)
        memory = format_size(loaded.limits.memory_bytes)
        click.echo(
            f"grader: {loaded.id}, {len(pending)} submission(s) to grade, {where}, "
            f"{threads} thread(s) and up to {memory} per kernel"
        )
    with contextlib.ExitStack() as stack:
        if pending and scheduler is None:  # a cluster's workers start their own warm parents
            options, warm = stack.enter_context(grader.warm_kernels(loaded, options))
            if warm:
                click.echo(warm, err=not terminal)
        progress = stack.enter_context(BatchProgress(len(pending), quiet=not terminal))
        progress.skipped(len(batch) - len(pending))

        def on_report(report: GradeReport) -> None:
            progress.graded(tree.add(report))

        result = grader.grade_batch(loaded.root, pending, options, jobs, on_report, scheduler)
    current = tree.finish(result.reports, junit)
    if compare_code:
        grader.similarity_report(out, loaded, lang=lang)
    result.crashed.extend(tree.failed)
    result.reports = [r for r in current if r.student in {s.student for s in batch}]
    progress.table(result.reports)
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
        if peaks := peak_memory_line(result.reports):
            click.echo(peaks)
    else:
        click.echo(json.dumps([_json_summary(r) for r in result.reports], ensure_ascii=False))
    for line in check_error_lines(result.reports):
        click.echo(line, err=not terminal)
    if result.crashed:
        sys.exit(Exit.BUG)
    sys.exit(
        verdict(
            all(r.all_passed for r in result.reports),
            any(r.check_errors for r in result.reports),
        )
    )


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
        sandbox=backend,
        protected=(loaded.root.resolve(),),
        mirror=grader.prepare_mirror(loaded, mirror),
    )
    report = grader.grade_submission(loaded, grader.find_submission(notebook), options)
    if output_format == "json":
        click.echo(json.dumps(report_to_dict(report), ensure_ascii=False, indent=2))
    else:
        click.echo(f"{loaded.spec.title} — vérifications publiques de {notebook.name}")
        for line in self_check_lines(loaded, report):
            click.echo(line)
    sys.exit(verdict(report.all_passed, bool(report.check_errors)))


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
    validation = grader.validate_assignment(loaded, grader.prepare_mirror(loaded, mirror), backend)
    points, total = validation.automatic
    if output_format == "json":
        payload = {
            "assignment": loaded.id,
            "ok": validation.ok,
            "problems": validation.problems,
            "automatic_points": points,
            "automatic_total": total,
            "manual": dict(validation.manual),
            "check_errors": [check.id for check in validation.solution.check_errors],
        }
        click.echo(json.dumps(payload, ensure_ascii=False))
    elif validation.ok:
        manual = ", ".join(f"{c} ({format_points(p)})" for c, p in validation.manual)
        click.echo(
            f"{loaded.id}: valid: the solution scores full marks, {format_points(points)} / "
            f"{format_points(total)} automatic points"
            + (f" (and manual criteria, yours to mark: {manual})" if manual else "")
            + "; the template passes no check"
        )
    else:
        click.echo(f"{loaded.id}: {len(validation.problems)} problem(s)")
        for problem in validation.problems:
            click.echo(f"  - {problem}")
    sys.exit(Exit.OK if validation.ok else verdict(False, bool(validation.solution.check_errors)))


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


@main.command()
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--junit", type=click.Path(path_type=Path), help="Also write JUnit XML here.")
@LANG
@FORMAT
@errors_to_exit_codes
def report(out: Path, junit: Path | None, lang: Lang, output_format: str) -> None:
    """Write OUT's reports and exports again from its gradebook; nothing is executed.

    \b
    Example:
      grader report out/tp-attention --lang en
    """
    reports = grader.rerender(
        out, lang, junit, say=partial(click.echo, err=output_format == "json")
    )
    if output_format == "json":
        click.echo(json.dumps([_json_summary(r) for r in reports], ensure_ascii=False))
    else:
        click.echo(f"{len(reports)} report(s) written in {display_path(out / 'reports')}/")


@main.group()
def manual() -> None:
    """Manual criteria: export their material to mark, import the marks.

    \b
    Example:
      grader manual export assignments/tp-attention marks.yaml --out out/tp-attention
      grader manual import assignments/tp-attention marks.yaml --out out/tp-attention
    """


@manual.command("export")
@click.argument("assignment", type=click.Path(path_type=Path))
@click.argument("sheet", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The graded folder.")
@FORMAT
@errors_to_exit_codes
def manual_export(assignment: Path, sheet: Path, out: Path, output_format: str) -> None:
    """Write SHEET (.yaml or .csv): per student and manual criterion, their text and plots.

    \b
    Example:
      grader manual export assignments/tp-attention marks.yaml --out out/tp-attention
    """
    count = grader.manual_export(out, grader.load_assignment(assignment), sheet)
    if output_format == "json":
        click.echo(json.dumps({"sheet": str(sheet), "entries": count}))
    else:
        click.echo(f"{count} entrie(s) to mark in {display_path(sheet)}: fill in points, comment")


@manual.command("import")
@click.argument("assignment", type=click.Path(path_type=Path))
@click.argument("sheet", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The graded folder.")
@LANG
@FORMAT
@errors_to_exit_codes
def manual_import(assignment: Path, sheet: Path, out: Path, lang: Lang, output_format: str) -> None:
    """Merge the marks of SHEET into the gradebook; reports and exports are written again.

    \b
    Example:
      grader manual import assignments/tp-attention marks.yaml --out out/tp-attention
    """
    updated = grader.manual_import(out, grader.load_assignment(assignment), sheet, lang)
    if output_format == "json":
        click.echo(json.dumps([_json_summary(r) for r in updated], ensure_ascii=False))
    else:
        click.echo(f"{len(updated)} student(s) marked; reports in {display_path(out / 'reports')}/")


def _json_summary(report: GradeReport) -> dict[str, Any]:
    return {
        "student": report.student,
        "score": report.score,
        "max_score": report.max_score,
        "status": report.execution.status.value,
        "all_passed": report.all_passed,
        "check_errors": [check.id for check in report.check_errors],
        "held_back": round(sum(c.held_back for c in report.criteria), 2),
    }
