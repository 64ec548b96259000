"""Grade a class: submissions in parallel, each result stored the moment it is graded.

The output tree is design.md §4: results/<student>.json, reports/<student>.html,
gradebook.csv, summary.html, gradebook.sqlite; and the exports gradebook.json, moodle.csv,
gradescope/<student>.json. A killed batch restarted on the same folder grades only what the
gradebook does not hold yet.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

from grader.assignment.load import Assignment, load_assignment
from grader.errors import GraderError
from grader.gradebook.export import gradebook_csv, gradebook_json, junit_xml
from grader.gradebook.late import (
    LatePolicy,
    apply_lateness,
    file_time,
    lateness,
    read_extensions,
)
from grader.gradebook.lms import gradescope_results, moodle_csv
from grader.gradebook.manual import (
    apply_marks,
    carry_marks,
    export_manual,
    read_marks,
    template_sources,
)
from grader.gradebook.store import Gradebook
from grader.grading import (
    GradeOptions,
    Submission,
    find_submission,
    grade_submission,
)
from grader.moodle import moodle_student
from grader.report.html import render_report
from grader.report.i18n import Lang
from grader.report.summary import render_summary
from grader.results import GradeReport, report_to_dict, write_json_atomic
from grader.submission import is_folder, submission_hash
from grader.workers import WorkerPool

T = TypeVar("T")


@dataclass
class BatchResult:
    reports: list[GradeReport] = field(default_factory=list)
    crashed: list[tuple[str, str]] = field(default_factory=list)  # (student, traceback): bugs


def collect_submissions(
    paths: Sequence[Path], roster: Mapping[str, str] | None = None
) -> list[Submission]:
    """One submission per path; two paths giving one student id is a usage error. A Moodle
    folder's student is named by `roster` (participant number -> username; grader/moodle.py)."""
    submissions: dict[str, Submission] = {}
    for path in paths:
        if not os.path.lexists(path):  # a link, even a broken one, is graded: its report says why
            raise GraderError(f"{path}: no such submission (a notebook or a student's folder)")
        moodle = moodle_student(path, roster) if is_folder(path) else None
        submission = Submission(moodle, path) if moodle else find_submission(path)
        if submission.student in submissions:
            other = submissions[submission.student].path
            raise GraderError(f"{path}: student '{submission.student}' already given by {other}")
        submissions[submission.student] = submission
    if not submissions:
        raise GraderError("no submission given")
    return list(submissions.values())


class OutputTree:
    """Writes each report as it arrives, then the class-level files.

    The gradebook is the truth: each result is committed to it before anything else is written,
    and the class files are derived from every student's current result in it.
    """

    def __init__(
        self,
        out: Path,
        assignment: Assignment,
        options: GradeOptions,
        *,
        lang: Lang = "fr",
        late: LatePolicy | None = None,
        submitted_at: Mapping[str, datetime] | None = None,
    ) -> None:
        self.out = out
        self.assignment = assignment
        self.lang: Lang = lang
        self.late = late
        self.submitted_at = dict(submitted_at or {})  # from an LMS export; else the file's time
        (out / "results").mkdir(parents=True, exist_ok=True)
        (out / "reports").mkdir(parents=True, exist_ok=True)
        self.gradebook = Gradebook(out / "gradebook.sqlite")
        self.run_id = self.gradebook.start_run(
            assignment.id, options.seed, options.sandbox.name, assignment.spec.title
        )
        self.previous = self.gradebook.current(assignment.id)
        self.paths: dict[str, Path] = {}
        self.failed: list[tuple[str, str]] = []  # (student, traceback): could not be stored

    def plan(self, submissions: Sequence[Submission], force: bool = False) -> list[Submission]:
        """The submissions to grade: new or changed ones (all with `force`).

        Unchanged ones keep their stored result, whose files are written again in case a kill
        came between the gradebook's commit and them.
        """
        pending = []
        for submission in submissions:
            self.paths[submission.student] = submission.path
            stored = self.previous.get(submission.student)
            if (
                force
                or stored is None
                or stored.submission_hash
                != submission_hash(submission.path, self.assignment.limits)
            ):
                pending.append(submission)
            else:
                self._guarded(stored.report.student, partial(self._write_files, stored.report))
        return pending

    def add(self, report: GradeReport) -> GradeReport:
        """Penalise lateness, keep manual marks, commit to the gradebook, then write the files.

        A student whose result cannot be stored or written is recorded in `failed`; the batch
        and the class files go on without them."""
        return self._guarded(report.student, partial(self._add, report)) or report

    def _add(self, report: GradeReport) -> GradeReport:
        path = self.paths.get(report.student)
        if self.late is not None and path is not None and os.path.lexists(path):
            when = self.submitted_at.get(report.student) or file_time(path, self.assignment.limits)
            report = apply_lateness(
                report, lateness(self.late, report.student, when, report.max_score)
            )
        stored = self.previous.get(report.student)
        report = carry_marks(report, stored.report if stored else None)
        where = Path(os.path.abspath(path)) if path else None  # a student's link is not followed
        self.gradebook.record(self.run_id, report, where)
        self._write_files(report)
        return report

    def finish(self, reports: Sequence[GradeReport], junit: Path | None) -> list[GradeReport]:
        """Class files from every current result of the gradebook; returns those results."""
        del reports  # the gradebook holds them, and those of earlier runs
        current = [c.report for c in self.gradebook.current(self.assignment.id).values()]
        write_class_files(
            self.out, current, self.assignment.id, self.assignment.spec.title, self.lang, junit
        )
        self.gradebook.close()
        return current

    def _guarded(self, student: str, action: Callable[[], T]) -> T | None:
        try:
            return action()
        except Exception:  # a bug, or one student's data: theirs alone, the others go on
            self.failed.append((student, traceback.format_exc()))
            return None

    def _write_files(self, report: GradeReport) -> None:
        write_json_atomic(self.out / "results" / f"{report.student}.json", report_to_dict(report))
        html = render_report(report, self.assignment.spec.title, self.lang)
        _write_text_atomic(self.out / "reports" / f"{report.student}.html", html)


def write_class_files(
    out: Path,
    reports: Sequence[GradeReport],
    assignment: str,
    title: str,
    lang: Lang = "fr",
    junit: Path | None = None,
) -> None:
    """gradebook.csv/.json, summary.html, moodle.csv, gradescope/<student>.json, JUnit."""
    _write_text_atomic(out / "gradebook.csv", gradebook_csv(reports))
    _write_text_atomic(out / "gradebook.json", gradebook_json(reports))
    _write_text_atomic(out / "moodle.csv", moodle_csv(reports, title))
    for report in reports:
        write_json_atomic(out / "gradescope" / f"{report.student}.json", gradescope_results(report))
    _write_text_atomic(out / "summary.html", render_summary(reports, assignment, title, lang))
    if junit is not None:
        _write_text_atomic(junit, junit_xml(reports))


def rerender(out: Path, lang: Lang = "fr", junit: Path | None = None) -> list[GradeReport]:
    """`grader report`: reports and exports again from the stored results; nothing runs."""
    gradebook = _open_gradebook(out)
    try:
        every = []
        for assignment in gradebook.assignments():
            title = gradebook.title(assignment)
            reports = [c.report for c in gradebook.current(assignment).values()]
            for report in reports:
                write_json_atomic(
                    out / "results" / f"{report.student}.json", report_to_dict(report)
                )
                _write_text_atomic(
                    out / "reports" / f"{report.student}.html", render_report(report, title, lang)
                )
            write_class_files(out, reports, assignment, title, lang, junit)
            every.extend(reports)
        return every
    finally:
        gradebook.close()


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
    assignment = load_assignment(assignment_path)
    # With a warm parent, even one worker forks from it: this process then never imports the
    # preloaded libraries a second time.
    if options.warm_parent is None and (jobs <= 1 or len(submissions) == 1):
        for submission in submissions:
            _take(
                result,
                submission.student,
                partial(grade_submission, assignment, submission, options),
                on_report,
            )
        return result
    pool = WorkerPool(jobs, options.warm_parent)
    for student, outcome in pool.grade(assignment_path, submissions, options):
        if isinstance(outcome, str):  # a bug in the grader: recorded, the others go on
            result.crashed.append((student, outcome))
        else:
            result.reports.append(outcome)
            on_report(outcome)
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


def manual_export(out: Path, assignment: Assignment, sheet: Path) -> int:
    """The material of the manual criteria of every graded student, to fill in."""
    gradebook = _open_gradebook(out)
    try:
        current = gradebook.current(assignment.id)
    finally:
        gradebook.close()
    sources = template_sources(assignment.root / assignment.spec.notebook)
    return export_manual(current, sources, sheet, assignment.limits)


def manual_import(
    out: Path, assignment: Assignment, sheet: Path, lang: Lang = "fr"
) -> list[GradeReport]:
    """Merge the instructor's marks: a new gradebook row per student marked, files rewritten."""
    marks = read_marks(sheet)
    gradebook = _open_gradebook(out)
    try:
        current = gradebook.current(assignment.id)
        updated = apply_marks(sheet, marks, {s: c.report for s, c in current.items()})
        run = gradebook.start_run(assignment.id, 0, "manual", assignment.spec.title)
        for report in updated:
            gradebook.record(run, report, current[report.student].submission)
    finally:
        gradebook.close()
    rerender(out, lang)
    return updated


def _open_gradebook(out: Path) -> Gradebook:
    path = out / "gradebook.sqlite"
    if not path.is_file():
        raise GraderError(f"{path}: no gradebook here (grade into this folder first)")
    return Gradebook(path)


def late_policy(assignment: Assignment, extensions: Path | None) -> LatePolicy | None:
    """The assignment's late-work rule with the students' extensions; None without a due date."""
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
