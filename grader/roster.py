"""The class named on the command line: one submission per path, one path per student."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from grader.errors import GraderError
from grader.grading import Submission, find_submission
from grader.moodle import moodle_student
from grader.submission import is_folder


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
