"""The class-grading use case, one call: what `grader grade`, a Dask run and the tests ask for.

`grade_class(ClassRun(...))` loads the assignment, collects the class, decides what kernels must
never see, plans what the gradebook lacks, starts the warm parent and the shared reference
store, grades, stores each result as it arrives and writes the class files. The defaults of
`ClassRun` are the command line's: the command reads them from here.

This module imports what grading needs only when a class is graded, so that the command line
(which reads the defaults) answers `--help` at once.
"""

from __future__ import annotations

import contextlib
import secrets
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from grader.mirror.layout import DEFAULT_ROOT

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from grader.assignment.load import Assignment
    from grader.batch import BatchResult
    from grader.gradebook.groups import GroupRoster
    from grader.gradebook.late import LatePolicy
    from grader.grading import GradeOptions, Submission
    from grader.output_tree import OutputTree
    from grader.report.i18n import Lang
    from grader.results import GradeReport, Group
    from grader.sandbox.selection import Backend


@dataclass(frozen=True)
class ClassRun:
    """A class to grade. Every default is the command line's."""

    assignment: Path  # the assignment's folder
    submissions: tuple[Path, ...]  # notebooks, or students' folders
    out: Path  # results/, reports/, gradebook.sqlite and the class files
    jobs: int | None = None  # submissions graded at once; None: the machine's cores
    junit: Path | None = None  # also write JUnit XML there
    scheduler: str | None = None  # a Dask scheduler's address: its workers grade instead
    seed: int | None = None  # the checks' secret seed; None: a fresh random one
    sandbox: Backend | None = None  # None: the best confinement that works here, or an error
    force: bool = False  # regrade unchanged submissions already in the gradebook
    fresh_kernels: bool = False  # never fork kernels from a warm parent
    lang: Lang = "fr"
    extensions: Path | None = None  # late work: per-student due dates or extra days
    lms_export: Path | None = None  # late work: an LMS export of submission times
    time_column: str = "submitted_at"  # that export's column of times
    mirror: Path = DEFAULT_ROOT  # the offline model cache
    similarity: bool = False  # then compare the class's code (grader/similarity)
    moodle_zips: tuple[Path, ...] = ()  # Moodle's "Download all submissions" zips, also graded
    moodle_roster: Path | None = None  # Moodle's grading worksheet: names its folders' students
    groups: Path | None = None  # a group roster: a group's submission graded once, for each


@dataclass(frozen=True)
class ClassPlan:
    """What a run is about to do, once the gradebook has been read."""

    assignment: Assignment
    pending: int  # submissions to grade
    skipped: int  # unchanged ones, kept from the gradebook
    where: str  # "on <scheduler>" or "<jobs> at a time"
    threads: int  # per kernel
    memory_bytes: int  # per kernel
    changes: str | None = None  # what changed since the stored results, when something did


class ClassListener:
    """Hears a class being graded; each method does nothing here: override those you need."""

    def planned(self, plan: ClassPlan) -> None:
        """Before any kernel starts."""

    def notice(self, line: str) -> None:
        """Something the instructor should know, the class being graded all the same."""

    def warm_start(self, notice: str) -> None:
        """The line that says whether kernels fork from a warm parent, and why not."""

    def grading_started(self, plan: ClassPlan) -> None:
        """The first submission is being graded."""

    def graded(self, report: GradeReport) -> None:
        """One report, stored and written, as each is done."""

    def grading_ended(self, completed: bool) -> None:
        """The last submission is graded (`completed`), or grading was interrupted."""


def grade_class(run: ClassRun, listener: ClassListener | None = None) -> BatchResult:
    """Grade the class of `run`; the reports are every current result of its students (those
    graded before and unchanged too), the crashes the bugs met, one per student at most."""
    from grader.assignment.load import load_assignment
    from grader.batch import grade_batch
    from grader.checks.reference import run_store
    from grader.cores import default_jobs
    from grader.gradebook.groups import read_groups
    from grader.output_tree import OutputTree

    listener = listener or ClassListener()
    assignment = load_assignment(run.assignment)
    jobs = run.jobs or default_jobs()
    with contextlib.ExitStack() as stack:
        roster = read_groups(run.groups) if run.groups else None
        batch, groups = _grouped(run, _collect(run, assignment, stack, roster), roster, listener)
        # The batch's workers share their @reference values there (a Dask worker here too).
        store = stack.enter_context(run_store())
        options = _grade_options(run, assignment, batch, jobs, store)
        tree = OutputTree(
            run.out,
            assignment,
            options,
            lang=run.lang,
            late=late_policy(assignment, run.extensions),
            submitted_at=_submission_times(run),
            groups=groups,
        )
        pending = tree.plan(batch, run.force)
        plan = _plan(run, assignment, options, jobs, len(pending), len(batch) - len(pending))
        plan = replace(plan, changes=tree.changes.line())
        listener.planned(plan)
        if pending and run.scheduler is None:  # a cluster's workers start their own parents
            options = _with_warm_parent(stack, assignment, options, listener)
        listener.grading_started(plan)
        completed = False
        try:
            result = grade_batch(
                run.assignment, pending, options, jobs, _storing(tree, listener), run.scheduler
            )
            completed = True
        finally:
            listener.grading_ended(completed)
        current = tree.finish(run.junit)
        if run.similarity:
            from grader.similarity import similarity_report

            similarity_report(run.out, assignment, lang=run.lang)
    result.crashed.extend(tree.failed)
    students = {student for s in batch for student in tree.rows(s.student)}
    result.reports = [report for report in current if report.student in students]
    return result


def _collect(
    run: ClassRun,
    assignment: Assignment,
    stack: contextlib.ExitStack,
    groups: GroupRoster | None = None,
) -> list[Submission]:
    """The class's submissions, Moodle's zips extracted into a folder that lasts the run."""
    from grader import moodle
    from grader.roster import collect_submissions

    paths = list(run.submissions)
    if run.moodle_zips or any(path.suffix.lower() == ".zip" for path in paths):
        scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="grader-moodle-"))
        paths = moodle.expand_archives(paths, run.moodle_zips, Path(scratch), assignment.limits)
    roster = moodle.read_roster(run.moodle_roster) if run.moodle_roster else None
    return collect_submissions(paths, roster, groups)


def _grouped(
    run: ClassRun, batch: list[Submission], roster: GroupRoster | None, listener: ClassListener
) -> tuple[list[Submission], dict[str, Group]]:
    """The submissions to grade, a group's under its name, and the groups handing in."""
    from grader.roster import group_submissions

    if roster is None:
        return batch, {}
    grouped = group_submissions(batch, roster)
    if run.moodle_roster is not None:  # the class list: its students in no group are named
        from grader.moodle import read_roster
        from grader.roster import ungrouped

        names = read_roster(run.moodle_roster).values()
        grouped.notices.extend(ungrouped(run.moodle_roster, names, roster))
    for line in grouped.notices:
        listener.notice(line)
    return grouped.submissions, grouped.groups


def _grade_options(
    run: ClassRun, assignment: Assignment, batch: list[Submission], jobs: int, store: Path
) -> GradeOptions:
    from grader.cores import threads_per_kernel
    from grader.grading import GradeOptions, prepare_mirror
    from grader.sandbox.selection import select_backend

    return GradeOptions(
        seed=run.seed if run.seed is not None else secrets.randbits(64),
        sandbox=run.sandbox or select_backend("auto", "grade"),
        protected=protected_paths(assignment, run.out, batch, store),
        mirror=prepare_mirror(assignment, run.mirror),
        max_threads=None if run.scheduler else threads_per_kernel(jobs),
        fresh_kernels=run.fresh_kernels,
        reference_store=store,
    )


def protected_paths(
    assignment: Assignment, out: Path, batch: list[Submission], store: Path
) -> tuple[Path, ...]:
    """What no kernel may see: the assignment (its hidden checks), the output folder, the other
    students' submissions and the run's reference values."""
    # A submission that is a link is never read (grader/submission.py): protecting its target,
    # which the student chose (/usr, say), would refuse every box of the class.
    others = tuple(s.path.resolve() for s in batch if not s.path.is_symlink())
    return (assignment.root.resolve(), out.resolve(), *others, store)


def _plan(
    run: ClassRun,
    assignment: Assignment,
    options: GradeOptions,
    jobs: int,
    pending: int,
    skipped: int,
) -> ClassPlan:
    from grader.grading import kernel_limits

    limits = kernel_limits(assignment, options)
    where = f"on {run.scheduler}" if run.scheduler else f"{jobs} at a time"
    return ClassPlan(assignment, pending, skipped, where, limits.cpu_threads, limits.memory_bytes)


def _with_warm_parent(
    stack: contextlib.ExitStack,
    assignment: Assignment,
    options: GradeOptions,
    listener: ClassListener,
) -> GradeOptions:
    from grader.warm_start import warm_kernels

    options, notice = stack.enter_context(warm_kernels(assignment, options))
    if notice:
        listener.warm_start(notice)
    return options


def _storing(tree: OutputTree, listener: ClassListener) -> Callable[[GradeReport], None]:
    def store(report: GradeReport) -> None:
        listener.graded(tree.add(report))

    return store


def _submission_times(run: ClassRun) -> dict[str, datetime] | None:
    from grader.gradebook.late import read_lms_times

    return read_lms_times(run.lms_export, run.time_column) if run.lms_export else None


def late_policy(assignment: Assignment, extensions: Path | None) -> LatePolicy | None:
    """The assignment's late-work rule with the students' extensions; None without a due date."""
    from grader.errors import GraderError
    from grader.gradebook.late import LatePolicy, read_extensions

    spec = assignment.spec.late
    if spec is None:
        if extensions is not None:
            raise GraderError(
                f"{extensions}: extensions given but {assignment.id} has no late: due date "
                "in its assignment.yaml"
            )
        return None
    found = read_extensions(extensions, spec.due) if extensions else None
    return LatePolicy.from_spec(spec, found)


def check_notebook(
    assignment: Assignment,
    notebook: Path,
    sandbox: Backend | None = None,
    mirror: Path = DEFAULT_ROOT,
) -> GradeReport:
    """`grader check`: a student's self-check of `notebook`, the public checks only; `sandbox`
    by default the best that works here, or none (a student's own machine)."""
    from grader.grading import (
        GradeOptions,
        Submission,
        find_submission,
        grade_submission,
        prepare_mirror,
        with_pdf_report,
    )
    from grader.sandbox.selection import select_backend

    options = GradeOptions(
        seed=secrets.randbits(64),
        public_only=True,
        sandbox=sandbox or select_backend("auto", "check"),
        protected=(assignment.root.resolve(),),
        mirror=prepare_mirror(assignment, mirror),
    )
    student = find_submission(notebook).student
    with tempfile.TemporaryDirectory(prefix="grader-check-") as folder:
        handed_in = with_pdf_report(assignment, notebook, Path(folder))
        return grade_submission(assignment, Submission(student, handed_in), options)
