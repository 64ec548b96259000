"""A graded class's folder: each result stored the moment it is graded, then the class files.

The folder holds results/<student>.json, reports/<student>.html, gradebook.sqlite, and the
class files derived from the gradebook: gradebook.csv, gradebook.json, summary.html,
moodle.csv, gradescope/<student>.json (and JUnit XML where asked). A killed batch restarted on
the same folder grades only what the gradebook does not hold yet.

A group's submission (grader/gradebook/groups.py) is graded once, under the group's name; each
member gets the result as their own row, report and exports, naming the group, with their own
late penalty (their extension) and the manual marks and adjustment they had.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

from grader.assignment.load import Assignment
from grader.atomic import write_json_atomic, write_text_atomic
from grader.crashes import Crash, guarded
from grader.fingerprint import Need, assignment_fingerprint, changed_parts, needs
from grader.gradebook.export import junit_xml
from grader.gradebook.exporters import EXPORTERS, ClassInfo
from grader.gradebook.late import LatePolicy, apply_lateness, file_time, lateness
from grader.gradebook.manual import carry_marks
from grader.gradebook.rescore import Changes, reasons
from grader.gradebook.store import Gradebook
from grader.grading import GradeOptions, Submission
from grader.report.html import render_report
from grader.report.i18n import Lang
from grader.results import GradeReport, Group, report_to_dict
from grader.scoring.score import rescore_report
from grader.submission import submission_hash

T = TypeVar("T")


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
        groups: Mapping[str, Group] | None = None,
    ) -> None:
        self.out = out
        self.assignment = assignment
        self.lang: Lang = lang
        self.late = late
        self.submitted_at = dict(submitted_at or {})  # from an LMS export; else the file's time
        self.groups = dict(groups or {})  # the groups handing in, by the submission's id
        (out / "results").mkdir(parents=True, exist_ok=True)
        (out / "reports").mkdir(parents=True, exist_ok=True)
        self.gradebook = Gradebook(out / "gradebook.sqlite")
        self.run_id = self.gradebook.start_run(
            assignment.id,
            options.seed,
            options.sandbox.name,
            assignment.spec.title,
            Path(os.path.abspath(assignment.root)),
        )
        self.previous = self.gradebook.current(assignment.id)
        self.fingerprint = assignment_fingerprint(assignment)
        self.changes = Changes()
        self.paths: dict[str, Path] = {}
        self.failed: list[Crash] = []  # results that could not be stored or written

    def plan(self, submissions: Sequence[Submission], force: bool = False) -> list[Submission]:
        """The submissions to grade: new ones, changed ones, and those graded under another
        assignment fingerprint (grader/fingerprint.py); all of them with `force`.

        A result whose rubric alone changed is rescored here, from its stored check outcomes.
        Unchanged ones keep their stored result, whose files are written again in case a kill
        came between the gradebook's commit and them. `self.changes` says what and why.
        """
        pending = []
        for submission in submissions:
            self.paths[submission.student] = submission.path
            stored = self.previous.get(self.rows(submission.student)[0])
            if force or stored is None:
                pending.append(submission)
            elif stored.submission_hash != submission_hash(submission.path, self.assignment.limits):
                self.changes.regraded(["the submission"])
                pending.append(submission)
            elif self._regrouped(submission.student):
                self.changes.regraded(["the group's members"])
                pending.append(submission)
            else:
                changed = changed_parts(stored.report.fingerprint, self.fingerprint)
                need = needs(changed)
                if need is Need.REGRADE:
                    self.changes.regraded(reasons(stored.report, changed))
                    pending.append(submission)
                elif need is Need.RESCORE:
                    self.changes.rescored += 1
                    rescored = self._rescored(stored.report)
                    self.add(replace(rescored, student=submission.student))
                else:
                    for student in self.rows(submission.student):
                        self._rewrite(student)
        return pending

    def rows(self, submitted: str) -> tuple[str, ...]:
        """The students a submission's result is recorded for: itself, or its group's members."""
        group = self.groups.get(submitted)
        return group.members if group is not None else (submitted,)

    def _regrouped(self, submitted: str) -> bool:
        """The roster changed the students this submission is recorded for: a member added,
        or a student's own submission now a group's."""
        group = self.groups.get(submitted)
        stored = [self.previous.get(student) for student in self.rows(submitted)]
        return any(s is None or s.report.group != group for s in stored)

    def _group_marks(self, report: GradeReport) -> GradeReport | None:
        """For a member new to a group, the marks the group was given (on another member's
        result; not that member's adjustment)."""
        name = report.group.name if report.group else None
        for member in report.group.members if report.group else ():
            stored = self.previous.get(member)
            if stored is not None and stored.report.group and stored.report.group.name == name:
                return replace(stored.report, adjustment=None)
        return None

    def _rewrite(self, student: str) -> None:
        stored = self.previous.get(student)
        if stored is not None:
            self._guarded(student, partial(self._write_files, stored.report))

    def _rescored(self, report: GradeReport) -> GradeReport:
        assignment = self.assignment
        return rescore_report(
            report, assignment.rubric, assignment.criterion_checks(), self.fingerprint
        )

    def add(self, report: GradeReport) -> GradeReport:
        """Penalise lateness, keep manual marks, commit to the gradebook, then write the files;
        a group's result once per member (its first member's is returned, under the group's
        name: the progress line says which submission was graded).

        A student whose result cannot be stored or written is recorded in `failed`; the batch
        and the class files go on without them."""
        group = self.groups.get(report.student)
        if group is None:
            return self._guarded(report.student, partial(self._add, report)) or report
        path = self.paths.get(report.student)
        rows = [  # each member's own adjustment is carried back by _add
            replace(report, student=member, group=group, adjustment=None)
            for member in group.members
        ]
        added = [self._guarded(r.student, partial(self._add, r, path)) for r in rows]
        return replace(added[0] or rows[0], student=group.name)

    def _add(self, report: GradeReport, submitted: Path | None = None) -> GradeReport:
        path = submitted or self.paths.get(report.student)
        if self.late is not None and path is not None and os.path.lexists(path):
            when = self.submitted_at.get(report.student) or file_time(path, self.assignment.limits)
            report = apply_lateness(
                report, lateness(self.late, report.student, when, report.max_score)
            )
        stored = self.previous.get(report.student)
        report = carry_marks(report, stored.report if stored else self._group_marks(report))
        where = Path(os.path.abspath(path)) if path else None  # a student's link is not followed
        self.gradebook.record(self.run_id, report, where)
        self._write_files(report)
        return report

    def finish(self, junit: Path | None) -> list[GradeReport]:
        """Class files from every current result of the gradebook (this run's and earlier
        runs'); returns those results."""
        current = [c.report for c in self.gradebook.current(self.assignment.id).values()]
        write_class_files(
            self.out, current, self.assignment.id, self.assignment.spec.title, self.lang, junit
        )
        self.gradebook.close()
        return current

    def _guarded(self, student: str, action: Callable[[], T]) -> T | None:
        outcome = guarded(student, action)
        if isinstance(outcome, Crash):
            self.failed.append(outcome)
            return None
        return outcome

    def _write_files(self, report: GradeReport) -> None:
        write_student_files(self.out, report, self.assignment.spec.title, self.lang)


def write_student_files(out: Path, report: GradeReport, title: str, lang: Lang) -> None:
    """results/<student>.json and reports/<student>.html."""
    write_json_atomic(out / "results" / f"{report.student}.json", report_to_dict(report))
    html = render_report(report, title, lang)
    write_text_atomic(out / "reports" / f"{report.student}.html", html)


def write_class_files(
    out: Path,
    reports: Sequence[GradeReport],
    assignment: str,
    title: str,
    lang: Lang = "fr",
    junit: Path | None = None,
) -> None:
    """Every exporter's files (grader/gradebook/exporters.py), and JUnit XML where asked."""
    similarity = (out / "similarity.html").is_file()  # grader/similarity wrote it
    about = ClassInfo(assignment, title, lang, similarity)
    for exporter in EXPORTERS.values():
        for relative, text in exporter(reports, about).items():
            write_text_atomic(out / relative, text)
    if junit is not None:
        write_text_atomic(junit, junit_xml(reports))
