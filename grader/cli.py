"""The `grader` command: parse, call the API, turn errors into messages and exit codes."""

from __future__ import annotations

import ast
import importlib
import json
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

import grader
from grader import distribution
from grader.api import ClassListener, ClassPlan, ClassRun
from grader.cli_common import EXISTING_FILE, FORMAT, Exit, errors_to_exit_codes, verdict
from grader.errors import display_path
from grader.formats import points as format_points
from grader.report.i18n import LANGS, Lang
from grader.sandbox_names import BACKEND_NAMES, BackendName

if TYPE_CHECKING:
    from grader.report.terminal import BatchProgress
    from grader.results import GradeReport

# Each command imports what it runs when it runs: `grader --help` imports none of it.

MIRROR = click.option(
    "--mirror",
    type=click.Path(file_okay=False, path_type=Path),
    default=ClassRun.mirror,
    show_default=True,
    help="Offline model cache for assignments that load models (built on first use).",
)

LANG = click.option(
    "--lang",
    type=click.Choice(LANGS),
    default=ClassRun.lang,
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

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list of commands, a lazy one's line read from its source: listing them imports
        none of them."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names))  # as click's own list
        rows = []
        for name in names:
            if name in self.lazy:
                rows.append((name, _short_help(self.lazy[name], limit)))
            elif (command := super().get_command(ctx, name)) is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

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


def _short_help(target: str, width: int) -> str:
    """The first sentence of the docstring of `module:function`, as click shortens it, read
    from the module's file (finding its spec would import its package)."""
    module, attribute = target.split(":")
    path = Path(__file__).parent.joinpath(*module.split(".")[1:]).with_suffix(".py")
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef) and node.name == attribute:
            summary = click.Command(attribute, help=ast.get_docstring(node))
            return summary.get_short_help_str(width)
    return ""


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
@click.argument("submissions", nargs=-1, type=click.Path(path_type=Path))
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
    type=EXISTING_FILE,
    help="Late work: per-student due dates or extra days (YAML or CSV student,extension).",
)
@click.option(
    "--submitted-at",
    "lms_export",
    type=EXISTING_FILE,
    help="Late work: an LMS export (CSV) giving each student's submission time "
    "[default: the files' modification time].",
)
@click.option(
    "--time-column",
    default=ClassRun.time_column,
    show_default=True,
    help="The column of --submitted-at holding the time (ISO 8601).",
)
@click.option(
    "--from-moodle",
    "moodle_archives",
    multiple=True,
    type=EXISTING_FILE,
    help='Moodle\'s "Download all submissions" zip: its folders are graded (a zip of such '
    "folders among SUBMISSIONS is recognised too).",
)
@click.option(
    "--roster",
    type=EXISTING_FILE,
    help="Moodle's grading worksheet (CSV): names each Moodle folder's student by username.",
)
@click.option(
    "--groups",
    type=EXISTING_FILE,
    help="Pairs and groups: a CSV group,student; a group's submission (named after the group "
    "or a member) is graded once and every member gets a row.",
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
    moodle_archives: tuple[Path, ...],
    roster: Path | None,
    groups: Path | None,
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
    from grader.api import grade_class
    from grader.report.terminal import check_error_lines
    from grader.sandbox.selection import select_backend

    backend = select_backend(sandbox, "grade", unsafe_no_sandbox)
    run = ClassRun(
        assignment,
        submissions,
        out,
        jobs=jobs,
        junit=junit,
        scheduler=scheduler,
        seed=seed,
        sandbox=backend,
        force=force,
        fresh_kernels=fresh_kernels,
        lang=lang,
        extensions=extensions,
        lms_export=lms_export,
        time_column=time_column,
        mirror=mirror,
        similarity=compare_code,
        moodle_zips=moodle_archives,
        moodle_roster=roster,
        groups=groups,
    )
    terminal = output_format == "terminal"
    listener = TerminalListener(backend.notice, quiet=not terminal)
    result = grade_class(run, listener)
    if listener.progress is not None:
        listener.progress.table(result.reports)
    for crash in result.crashed:
        click.echo(
            f"{crash.traceback}\ngrader: grading '{crash.student}' hit a bug in grader; the "
            "other results are saved. Please report it with the traceback above.",
            err=True,
        )
    if terminal:
        _print_class_summary(result.reports, out)
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


class TerminalListener(ClassListener):
    """`grader grade`'s lines and progress bar; with `quiet` (JSON output), notices go to
    standard error and nothing else is printed. The sandbox's notice comes once the class is
    read: a mistake in the assignment is the only line then."""

    def __init__(self, sandbox_notice: str, quiet: bool) -> None:
        self.sandbox_notice = sandbox_notice
        self.quiet = quiet
        self.progress: BatchProgress | None = None

    def planned(self, plan: ClassPlan) -> None:
        from grader.sandbox.limits import format_size

        click.echo(self.sandbox_notice, err=self.quiet)
        if plan.changes:
            click.echo(f"grader: {plan.changes}", err=self.quiet)
        if not self.quiet:
            click.echo(
                f"grader: {plan.assignment.id}, {plan.pending} submission(s) to grade, "
                f"{plan.where}, {plan.threads} thread(s) and up to "
                f"{format_size(plan.memory_bytes)} per kernel"
            )

    def notice(self, line: str) -> None:
        click.echo(f"grader: {line}", err=True)

    def warm_start(self, notice: str) -> None:
        click.echo(notice, err=self.quiet)

    def grading_started(self, plan: ClassPlan) -> None:
        from grader.report.terminal import BatchProgress

        self.progress = BatchProgress(plan.pending, quiet=self.quiet).__enter__()
        self.progress.skipped(plan.skipped)

    def graded(self, report: GradeReport) -> None:
        if self.progress is not None:
            self.progress.graded(report)

    def grading_ended(self, completed: bool) -> None:
        if self.progress is not None:
            failure = None if completed else KeyboardInterrupt
            self.progress.__exit__(failure, None, None)


def _print_class_summary(reports: list[GradeReport], out: Path) -> None:
    """The class mean, where the reports are and the kernels' peaks."""
    from grader.report.terminal import peak_memory_line

    mean = sum(r.score for r in reports) / max(len(reports), 1)
    top = reports[0].max_score if reports else 0
    click.echo(
        f"mean {format_points(mean, 'en')} / {format_points(top, 'en')}; reports in "
        f"{display_path(out / 'reports')}/, class summary in "
        f"{display_path(out / 'summary.html')}"
    )
    if peaks := peak_memory_line(reports):
        click.echo(peaks)


@main.command()
@click.argument("notebook", type=EXISTING_FILE)
@click.option(
    "--assignment",
    type=click.Path(path_type=Path),
    help="The assignment folder [default: found from the notebook's metadata].",
)
@click.option(
    "--junit",
    type=click.Path(path_type=Path),
    help="Also write JUnit XML here (a student repository's CI: one test case per check).",
)
@SANDBOX
@MIRROR
@FORMAT
@errors_to_exit_codes
def check(
    notebook: Path,
    assignment: Path | None,
    junit: Path | None,
    sandbox: BackendName,
    mirror: Path,
    output_format: str,
) -> None:
    """Self-check NOTEBOOK before handing it in: the public checks only.

    \b
    Example:
      grader check tp-attention.ipynb
    """
    from grader.api import check_notebook
    from grader.atomic import write_text_atomic
    from grader.gradebook.export import junit_xml
    from grader.messages import say
    from grader.report.check_lines import self_check_lines
    from grader.results import report_to_dict
    from grader.sandbox.selection import select_backend

    loaded = grader.load_assignment(assignment or grader.find_assignment(notebook))
    backend = select_backend(sandbox, "check")
    click.echo(backend.notice, err=output_format == "json")
    report = check_notebook(loaded, notebook, backend, mirror)
    if junit is not None:
        write_text_atomic(junit, junit_xml([report]))
    if output_format == "json":
        click.echo(json.dumps(report_to_dict(report), ensure_ascii=False, indent=2))
    else:
        title = say("selfcheck.title", title=loaded.spec.title, name=notebook.name)
        click.echo(title.text("fr"))
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
    from grader.sandbox.selection import select_backend

    loaded = grader.load_assignment(assignment)
    backend = select_backend(sandbox, "check")
    click.echo(backend.notice, err=True)
    validation = grader.validate_assignment(loaded, grader.prepare_mirror(loaded, mirror), backend)
    if validation.preload is not None and output_format != "json":
        click.echo(
            f"preload: the solution imports {len(validation.preload.modules)} module(s) in "
            f"{validation.preload.seconds:.1f} s; recorded for `preload: auto`",
            err=True,
        )
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
        manual = ", ".join(f"{c} ({format_points(p, 'en')})" for c, p in validation.manual)
        click.echo(
            f"{loaded.id}: valid: the solution scores full marks, {format_points(points, 'en')} / "
            f"{format_points(total, 'en')} automatic points"
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
@click.argument("sheet", type=EXISTING_FILE)
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
