"""Grade a class on a Dask distributed cluster: `grader grade --scheduler ADDRESS`.

Each submission is one Dask task. A worker grades it exactly as a local batch does (the same
sandboxed kernel, the same checks, in the worker's own process) and sends the GradeReport back;
reports reach `on_report` in the order they finish, so the local gradebook fills as they come.
The submission's files travel with the task (workers need no view of the submissions folder);
the assignment folder, the model mirror and the grader package must exist at the same paths on
every worker (a shared home directory, as on a university cluster); the scheduler needs neither.
When a worker dies, the scheduler gives its unfinished submissions to another worker: nothing is
lost. A submission on which workers died more than the scheduler's `allowed-failures` times
(Dask's default: 3) is reported as crashed, so that one notebook cannot take the cluster down.
Each worker process forks its kernels from its own warm parent when the assignment declares
`preload:` (started with its first submission, ended with the worker).
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from grader.assignment.load import Assignment, load_assignment
from grader.crashes import Crash, guarded
from grader.errors import GraderError
from grader.grading import GradeOptions, Submission, grade_submission, kernel_limits
from grader.results import GradeReport, SkippedFile
from grader.sandbox.limits import Limits
from grader.sandbox.selection import Backend
from grader.sandbox.warm import WarmParent
from grader.submission import Found, Walk, is_folder, read_chunks, submission_hash
from grader.warm_start import start_warm_parent_for
from grader.workers import worker_assignment


def _budget(found: Found, limits: Limits) -> int:
    """The bytes of a file shipped: a notebook one more than its budget, so that the worker
    still sees it is too large; any other file its size."""
    return limits.notebook_bytes + 1 if found.notebook else found.status.st_size


@dataclass(frozen=True)
class SubmissionFiles:
    """One student's hand-in as bytes: a notebook, or a folder's regular files (no links)."""

    student: str
    name: str  # the notebook's file name or the folder's name, kept so the content hash holds
    is_folder: bool
    files: tuple[tuple[str, bytes], ...]  # (path relative to the folder or to its parent, bytes)
    skipped: tuple[SkippedFile, ...] = ()  # left behind: the worker's report names them too
    content_hash: str = ""  # of the submission as handed in, skipped files included

    @classmethod
    def read(cls, submission: Submission, limits: Limits) -> SubmissionFiles:
        """What grading would read of it (grader/submission.py): no link, no special file,
        nothing past the size budgets."""
        path = submission.path
        walk = Walk(path, limits)
        files = tuple(
            ("/".join(found.parts), b"".join(read_chunks(found.fd, _budget(found, limits))))
            for found in walk
            if not found.is_dir
        )
        content_hash = submission_hash(path, limits)
        return cls(
            submission.student, path.name, is_folder(path), files, walk.skipped, content_hash
        )

    def write(self, folder: Path) -> Submission:
        """Lay the files out below `folder`; the Submission that points at them."""
        root = folder / self.name if self.is_folder else folder
        root.mkdir(parents=True, exist_ok=True)  # a folder whose every file was skipped is one
        for relative, content in self.files:
            target = (root / relative).resolve()
            if not target.is_relative_to(folder.resolve()):
                raise GraderError(f"{self.student}: file {relative!r} leaves its folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        return Submission(self.student, folder / self.name)


def grade_shipped(assignment_path: str, shipped: SubmissionFiles, options: GradeOptions) -> Any:
    """The task a worker runs: grade the shipped submission from a private copy of its files."""
    folder = Path(tempfile.mkdtemp(prefix="grader-dask-"))
    try:
        submission = shipped.write(folder)
        assignment = worker_assignment(assignment_path)
        options = replace(options, sandbox=_worker_backend(options.sandbox))
        report = grade_submission(assignment, submission, _worker_warm_start(assignment, options))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return as_handed_in(report, shipped)


def as_handed_in(report: GradeReport, shipped: SubmissionFiles) -> GradeReport:
    """A worker's report on the submission as the student handed it in: the files left behind
    named first, and the hash of the original (which the client compares on its next run)."""
    skipped = (*shipped.skipped, *report.execution.skipped_files)
    execution = replace(report.execution, skipped_files=skipped)
    return replace(report, execution=execution, submission_hash=shipped.content_hash)


@functools.cache
def _worker_backend(chosen: Backend) -> Backend:
    """The client's sandbox as this worker's machine provides it (its own cgroups);
    SandboxUnavailable where it cannot run, rather than a weaker one."""
    return chosen.on_this_machine()


_worker_parents: dict[tuple[object, ...], WarmParent | None] = {}
_worker_parents_lock = threading.Lock()


def _worker_warm_start(assignment: Assignment, options: GradeOptions) -> GradeOptions:
    """A worker's kernels fork from its own warm parent, started with its first submission and
    ended with the worker (fresh kernels where it cannot start, as in a local batch)."""
    limits = kernel_limits(assignment, options)
    key = (
        tuple(assignment.preload),
        limits,
        options.mirror,
        options.sandbox,
        options.fresh_kernels,
    )
    with _worker_parents_lock:
        if key not in _worker_parents:
            parent, _notice = start_warm_parent_for(assignment, options)
            if parent is not None:
                atexit.register(parent.stop)
            _worker_parents[key] = parent
        parent = _worker_parents[key]
    if parent is None or not parent.alive():
        return options
    return replace(options, warm_parent=parent.socket)


def grade_on_cluster(
    scheduler: str,
    assignment_path: Path,
    submissions: Sequence[Submission],
    options: GradeOptions,
    connect_timeout_s: float = 20,
) -> Iterator[GradeReport | Crash]:
    """Grade every submission on the cluster at `scheduler` (e.g. tcp://10.0.0.5:8786): each
    report as it is done, or the Crash of a bug in grader (or of a submission that killed every
    worker it was given to). A scheduler that does not answer is a GraderError now, not once
    the reports are read."""
    client = _connect(scheduler, connect_timeout_s)
    return _graded(client, assignment_path, submissions, options)


def _graded(
    client: Any, assignment_path: Path, submissions: Sequence[Submission], options: GradeOptions
) -> Iterator[GradeReport | Crash]:
    run = uuid.uuid4().hex[:12]
    limits = load_assignment(assignment_path).limits
    try:
        futures = {
            client.submit(
                grade_shipped,
                str(assignment_path.resolve()),
                SubmissionFiles.read(submission, limits),
                options,
                key=f"grade-{submission.student}-{run}",  # never shared with another run
                pure=False,
            ): submission.student
            for submission in submissions
        }
        for future in _dask().as_completed(futures):
            yield guarded(futures[future], future.result)
            future.release()
    finally:
        client.close()


def _dask() -> Any:
    """The `distributed` module (untyped), or a GraderError saying how to install it."""
    try:
        import distributed
    except ImportError as exc:
        raise GraderError(
            "--scheduler needs Dask: pip install 'dask[distributed]' (on the workers too)"
        ) from exc
    return distributed


def _connect(scheduler: str, timeout_s: float) -> Any:
    try:
        return _dask().Client(scheduler, timeout=f"{timeout_s}s")
    except OSError as exc:
        raise GraderError(f"--scheduler {scheduler}: no Dask scheduler answers ({exc})") from exc
