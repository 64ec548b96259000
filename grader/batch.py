"""Grade a class's pending submissions: in this process, in a pool of local workers, or on a
Dask cluster; each report goes to the caller as soon as it is done.

Every driver follows one rule (grader/crashes.py): a bug while grading one submission is that
student's Crash, and the others are graded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from grader.assignment.load import load_assignment
from grader.crashes import Crash, guarded
from grader.grading import GradeOptions, Submission, grade_submission
from grader.results import GradeReport
from grader.workers import WorkerPool


@dataclass
class BatchResult:
    reports: list[GradeReport] = field(default_factory=list)
    crashed: list[Crash] = field(default_factory=list)  # bugs in grader, one per student


def grade_batch(
    assignment_path: Path,
    submissions: Sequence[Submission],
    options: GradeOptions,
    jobs: int,
    on_report: Callable[[GradeReport], None],
    scheduler: str | None = None,
) -> BatchResult:
    """Grade every submission, `jobs` at a time; `on_report` gets each one as soon as it is done.
    With `scheduler` (a Dask scheduler's address), the cluster's workers grade them instead."""
    result = BatchResult()
    for outcome in _driver(assignment_path, submissions, options, jobs, scheduler):
        if isinstance(outcome, Crash):
            result.crashed.append(outcome)
        else:
            result.reports.append(outcome)
            on_report(outcome)
    return result


def _driver(
    assignment_path: Path,
    submissions: Sequence[Submission],
    options: GradeOptions,
    jobs: int,
    scheduler: str | None,
) -> Iterator[GradeReport | Crash]:
    if scheduler is not None:
        from grader.distributed import grade_on_cluster  # Dask is optional

        return grade_on_cluster(scheduler, assignment_path, submissions, options)
    # With a warm parent, even one worker forks from it: this process then never imports the
    # preloaded libraries a second time.
    if options.warm_parent is None and (jobs <= 1 or len(submissions) == 1):
        return _in_this_process(assignment_path, submissions, options)
    return WorkerPool(jobs, options.warm_parent).grade(assignment_path, submissions, options)


def _in_this_process(
    assignment_path: Path, submissions: Sequence[Submission], options: GradeOptions
) -> Iterator[GradeReport | Crash]:
    assignment = load_assignment(assignment_path)
    for submission in submissions:
        yield guarded(
            submission.student, partial(grade_submission, assignment, submission, options)
        )
