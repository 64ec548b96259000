"""Grade one submission: load -> execute -> check -> score. Student mistakes are data here."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import nbformat

from grader.assignment.load import Assignment
from grader.assignment.self_check_cells import without_self_check
from grader.checks.probe import Notebook
from grader.checks.reference import using_store
from grader.checks.runner import run_checks
from grader.checks.static import notebook_source
from grader.fingerprint import assignment_fingerprint
from grader.messages import Message, say
from grader.mirror import build_mirror
from grader.preload_imports import import_in_background
from grader.results import (
    CheckResult,
    ExecutionRecord,
    ExecutionStatus,
    GradeReport,
    SkippedFile,
    bounded_report,
    message_fields,
)
from grader.sandbox.boxes import KernelBox
from grader.sandbox.execute import execute_notebook, kernel_modules
from grader.sandbox.kernel_user import (
    mount_working_folder,
    unmount_working_folder,
)
from grader.sandbox.limits import Limits
from grader.sandbox.selection import Backend, select_backend
from grader.scoring.score import score_rubric
from grader.submission import (
    NotebookFile,
    copy_submission,
    is_folder,
    read_notebook,
    submission_hash,
)
from grader.text import student_id


@dataclass(frozen=True)
class GradeOptions:
    seed: int  # the run's secret: inputs of the checks derive from it, it never enters a kernel
    public_only: bool = False  # a student's self-check: hidden checks are skipped
    # The run's backend, chosen once (select_backend): by default the best confinement that
    # works here, and an error rather than unconfined kernels where none does.
    sandbox: Backend = field(default_factory=lambda: select_backend("auto", "grade"))
    protected: tuple[Path, ...] = field(default=())  # never visible to a kernel
    mirror: Path | None = None  # the offline model cache, read-only for kernels
    max_threads: int | None = None  # per kernel, so that concurrent kernels share the cores
    fresh_kernels: bool = False  # never fork kernels from a warm parent (--fresh-kernels)
    warm_parent: Path | None = None  # the socket of the batch's warm parent, when it has one
    reference_store: Path | None = None  # where the run's @reference values are shared
    # `validate` only: gets the names of the modules the kernel held once the cells ran.
    kernel_modules: list[str] | None = None


@dataclass(frozen=True)
class Submission:
    student: str
    path: Path  # the notebook, or the folder holding it and the student's other files


def find_submission(path: Path) -> Submission:
    """A notebook file, or one student's folder (not a link to one): the student id is the
    stem or folder name (made safe to show and store: grader.text.student_id)."""
    return Submission(student=student_id(path.name if is_folder(path) else path.stem), path=path)


def grade_submission(
    assignment: Assignment, submission: Submission, options: GradeOptions
) -> GradeReport:
    """The report of one submission, its texts already safe to store and render."""
    with using_store(options.reference_store):
        return bounded_report(_grade(assignment, submission, options))


def _grade(assignment: Assignment, submission: Submission, options: GradeOptions) -> GradeReport:
    graded_at = datetime.now(UTC).isoformat(timespec="seconds")
    limits = kernel_limits(assignment, options)
    handed_in = read_notebook(submission.path, limits)
    notebook, problem = _parse_notebook(submission.path, handed_in)
    if notebook is None:
        execution = ExecutionRecord(
            ExecutionStatus.STARTUP_FAILED,
            0.0,
            **message_fields(problem),
            sandbox=options.sandbox.name,
            skipped_files=handed_in.skipped,
        )
        results = run_checks(
            assignment.checks,
            None,
            execution,
            options.seed,
            submission.student,
            options.public_only,
        )
    else:
        workdir = Path(tempfile.mkdtemp(prefix="grader-scratch-"))
        mounted = mount_working_folder(workdir, limits)
        try:
            skipped = _prepare_workdir(assignment, submission, workdir, limits)
            execution, results = _execute_and_check(
                assignment, submission, notebook, workdir, limits, options
            )
            execution = replace(execution, skipped_files=skipped)
        finally:
            if mounted:
                unmount_working_folder(workdir)
            shutil.rmtree(workdir, ignore_errors=True)
    criteria, score, max_score = score_rubric(
        assignment.rubric, assignment.criterion_checks(), results
    )
    return GradeReport(
        assignment=assignment.id,
        student=submission.student,
        score=score,
        max_score=max_score,
        criteria=criteria,
        execution=execution,
        submission_hash=submission_hash(submission.path, limits),
        graded_at=graded_at,
        # a self-check stores nothing: it needs no digest of what a stored grade depends on (the
        # installed distributions' metadata alone take a second or two to read)
        fingerprint={} if options.public_only else assignment_fingerprint(assignment),
    )


def kernel_limits(assignment: Assignment, options: GradeOptions) -> Limits:
    """The assignment's limits, with no more threads per kernel than the run allows."""
    limits = assignment.limits
    if options.max_threads is not None and limits.cpu_threads > options.max_threads:
        limits = replace(limits, cpu_threads=options.max_threads)
    return limits


def _execute_and_check(
    assignment: Assignment,
    submission: Submission,
    notebook: nbformat.NotebookNode,
    workdir: Path,
    limits: Limits,
    options: GradeOptions,
) -> tuple[ExecutionRecord, list[CheckResult]]:
    loop = asyncio.new_event_loop()
    executed = None
    importing = import_in_background(assignment.preload)
    try:
        executed = loop.run_until_complete(
            execute_notebook(notebook, partial(_open_box, workdir, limits, options), limits)
        )
        if options.kernel_modules is not None and executed.client is not None and executed.alive:
            assert executed.client.kc is not None  # a client of a live kernel
            options.kernel_modules.append(
                loop.run_until_complete(kernel_modules(executed.client.kc))
            )
        importing.join()  # the checks may import the same modules: never both at once
        code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
        probe = Notebook(
            executed,
            partial(notebook_source, code),
            limits.cell_timeout_s,
            loop,
            workdir,
            answer_bytes=limits.probe_answer_bytes,
        )
        nb_handle = probe if executed.client is not None else None
        results = run_checks(
            assignment.checks,
            nb_handle,
            executed.record,
            options.seed,
            submission.student,
            options.public_only,
        )
        if executed.client is not None and executed.client.kc is not None:
            executed.client.kc.stop_channels()
    finally:
        importing.join()
        if executed is not None:
            loop.run_until_complete(executed.box.close())
        loop.close()
    # The probes used the kernel too: its peak is known only now that the box is closed.
    return replace(executed.record, peak_memory_bytes=executed.peak_memory_bytes()), results


def _open_box(workdir: Path, limits: Limits, options: GradeOptions) -> KernelBox:
    return options.sandbox.open(
        workdir,
        limits,
        protected=options.protected,
        mirror=options.mirror,
        warm_parent=options.warm_parent,
    )


def _parse_notebook(
    path: Path, handed_in: NotebookFile
) -> tuple[nbformat.NotebookNode | None, Message | None]:
    if handed_in.content is None:
        return None, handed_in.said
    try:
        text = handed_in.content.decode("utf-8")
        notebook = nbformat.reads(text, as_version=4)  # type: ignore[no-untyped-call]
    except Exception as exc:  # invalid JSON, not a notebook: the student's file is unreadable
        return None, say("load.unreadable", name=path.name, error=type(exc).__name__)
    return without_self_check(notebook), None  # the grader's kernels cannot import grader


def _prepare_workdir(
    assignment: Assignment, submission: Submission, workdir: Path, limits: Limits
) -> tuple[SkippedFile, ...]:
    """The kernel's only writable place: the assignment's data files and the student's files
    (those grader may copy: see grader/submission.py); returns the student's files skipped."""
    for relative in assignment.spec.data:
        source = assignment.root / relative
        target = workdir / Path(relative).name
        if source.is_dir():
            shutil.copytree(source, target, symlinks=False)
        else:
            shutil.copyfile(source, target)
    return copy_submission(submission.path, workdir, limits)


def prepare_mirror(assignment: Assignment, folder: Path) -> Path | None:
    """Build (or reuse) the offline cache of the models the assignment declares."""
    if not assignment.spec.models:
        return None
    return build_mirror(assignment.spec.models, folder).root
