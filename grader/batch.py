"""Grade a class: submissions in parallel, each result stored the moment it is graded.

The output tree is design.md §4: results/<student>.json, reports/<student>.html,
gradebook.csv, summary.html, gradebook.sqlite.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path

from grader.assignment.load import Assignment, load_assignment
from grader.errors import GraderError
from grader.gradebook.export import gradebook_csv, junit_xml
from grader.gradebook.store import Gradebook
from grader.grading import GradeOptions, Submission, find_submission, grade_submission
from grader.report.html import render_report, render_summary
from grader.results import GradeReport, report_to_dict, write_json_atomic


@dataclass
class BatchResult:
    reports: list[GradeReport] = field(default_factory=list)
    crashed: list[tuple[str, str]] = field(default_factory=list)  # (student, traceback): bugs


def collect_submissions(paths: Sequence[Path]) -> list[Submission]:
    """One submission per path; two paths giving one student id is a usage error."""
    submissions: dict[str, Submission] = {}
    for path in paths:
        if not path.exists():
            raise GraderError(f"{path}: no such submission (a notebook or a student's folder)")
        submission = find_submission(path)
        if submission.student in submissions:
            other = submissions[submission.student].path
            raise GraderError(f"{path}: student '{submission.student}' already given by {other}")
        submissions[submission.student] = submission
    if not submissions:
        raise GraderError("no submission given")
    return list(submissions.values())


class OutputTree:
    """Writes each report as it arrives, then the class-level files."""

    def __init__(self, out: Path, assignment: Assignment, options: GradeOptions) -> None:
        self.out = out
        self.assignment = assignment
        (out / "results").mkdir(parents=True, exist_ok=True)
        (out / "reports").mkdir(parents=True, exist_ok=True)
        self.gradebook = Gradebook(out / "gradebook.sqlite")
        self.run_id = self.gradebook.start_run(assignment.id, options.seed, options.sandbox)

    def add(self, report: GradeReport) -> None:
        self.gradebook.record(self.run_id, report)
        write_json_atomic(self.out / "results" / f"{report.student}.json", report_to_dict(report))
        html = render_report(report, self.assignment.spec.title)
        _write_text_atomic(self.out / "reports" / f"{report.student}.html", html)

    def finish(self, reports: Sequence[GradeReport], junit: Path | None) -> None:
        _write_text_atomic(self.out / "gradebook.csv", gradebook_csv(reports))
        summary = render_summary(reports, self.assignment.id, self.assignment.spec.title)
        _write_text_atomic(self.out / "summary.html", summary)
        if junit is not None:
            _write_text_atomic(junit, junit_xml(reports))
        self.gradebook.close()


def grade_batch(
    assignment_path: Path,
    submissions: Sequence[Submission],
    options: GradeOptions,
    jobs: int,
    on_report: Callable[[GradeReport], None],
    scheduler: str | None = None,
) -> BatchResult:
    """Grade every submission, `jobs` at a time; `on_report` gets each one as soon as it is done.
    With `scheduler` (a Dask scheduler's address), the cluster's workers grade them instead.

    A bug while grading one submission is recorded and the others go on.
    """
    result = BatchResult()
    if scheduler is not None:
        from grader.distributed import grade_on_cluster  # Dask is optional

        args = (scheduler, assignment_path, submissions, options, on_report, result.crashed)
        result.reports = grade_on_cluster(*args)
        return result
    if jobs <= 1 or len(submissions) == 1:
        assignment = load_assignment(assignment_path)
        for submission in submissions:
            _take(
                result,
                submission.student,
                partial(grade_submission, assignment, submission, options),
                on_report,
            )
        return result
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = {
            pool.submit(
                _grade_in_worker, str(assignment_path), submission, options
            ): submission.student
            for submission in submissions
        }
        for future in as_completed(futures):
            _take(result, futures[future], future.result, on_report)
    return result


def _take(
    result: BatchResult,
    student: str,
    produce: Callable[[], GradeReport],
    on_report: Callable[[GradeReport], None],
) -> None:
    try:
        report = produce()
    except Exception:  # a bug in the grader: record it, grade the others
        result.crashed.append((student, traceback.format_exc()))
        return
    result.reports.append(report)
    on_report(report)


@lru_cache(maxsize=4)
def _worker_assignment(path: str) -> Assignment:
    return load_assignment(path)


def _grade_in_worker(path: str, submission: Submission, options: GradeOptions) -> GradeReport:
    return grade_submission(_worker_assignment(path), submission, options)


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def threads_per_kernel(jobs: int) -> int:
    """Threads each kernel may use so that `jobs` kernels at once do not oversubscribe."""
    return max(1, default_jobs() // max(1, jobs))


def _write_text_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
