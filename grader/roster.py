"""The class named on the command line: one submission per path, one path per student, and
with a group roster (`--groups`), one submission per group."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderError, display_path
from grader.gradebook.groups import GroupRoster
from grader.grading import Submission, find_submission
from grader.moodle import moodle_student, parse_folder
from grader.results import Group
from grader.submission import is_folder
from grader.text import safe_text, student_id


def collect_submissions(
    paths: Sequence[Path],
    roster: Mapping[str, str] | None = None,
    groups: GroupRoster | None = None,
) -> list[Submission]:
    """One submission per path; two paths giving one student id is a usage error. A Moodle
    folder's student is named by `roster` (participant number -> username; grader/moodle.py),
    unless it is the group submission of one of `groups` (its number is the group's, which a
    participant may hold too)."""
    submissions: dict[str, Submission] = {}
    for path in paths:
        if not os.path.lexists(path):  # a link, even a broken one, is graded: its report says why
            raise GraderError(f"{path}: no such submission (a notebook or a student's folder)")
        worksheet = None if groups is not None and moodle_group(path, groups) else roster
        moodle = moodle_student(path, worksheet) if is_folder(path) else None
        submission = Submission(moodle, path) if moodle else find_submission(path)
        if submission.student in submissions:
            other = submissions[submission.student].path
            raise GraderError(f"{path}: student '{submission.student}' already given by {other}")
        submissions[submission.student] = submission
    if not submissions:
        raise GraderError("no submission given")
    return list(submissions.values())


@dataclass(frozen=True)
class GroupedClass:
    """The class with its groups: a group's submission under the group's name, once."""

    submissions: list[Submission]
    groups: dict[str, Group]  # by the submission's id: those handed in by a group
    notices: list[str]  # what the roster and the class disagree on, graded all the same


def group_submissions(submissions: Sequence[Submission], roster: GroupRoster) -> GroupedClass:
    """Each submission named after a group, or after one of its members (who handed it in for
    the group), or a Moodle group submission's folder, becomes the group's; two of one group is
    a usage error. A submission that is no group and no member is graded as itself, and a group
    without a submission is reported."""
    found = GroupedClass([], {}, list(roster.notices))
    given: dict[str, Path] = {}
    where = display_path(roster.path)
    for submission in submissions:
        name = submission.student
        group = _group(submission, roster)
        if group is None:
            found.notices.append(
                f"{display_path(submission.path)}: '{safe_text(name, 80)}' is neither a group "
                f"nor a student of {where}: graded as itself, in no group"
            )
            found.submissions.append(submission)
            continue
        if group in given:
            raise GraderError(
                f"{submission.path}: group '{group}' of {where} already handed in {given[group]}"
            )
        given[group] = submission.path
        found.groups[group] = Group(group, roster.members[group])
        found.submissions.append(Submission(group, submission.path))
    for group, line in roster.lines.items():
        if group not in given:
            found.notices.append(f"{where}:{line}: group: '{group}' has no submission")
    return found


def _group(submission: Submission, roster: GroupRoster) -> str | None:
    """The group a submission is handed in by: named after it, after a member, or a Moodle
    group submission's folder."""
    name = submission.student
    if name in roster.members:
        return name
    if (member := roster.group_of(name)) is not None:
        return member
    return moodle_group(submission.path, roster)


def moodle_group(path: Path, roster: GroupRoster) -> str | None:
    """The group of a Moodle group submission's folder:
    `<group>_<group number>_assignsubmission_file_`."""
    folder = parse_folder(path.name) if is_folder(path) else None
    if folder is None or folder.plugin != "file":
        return None
    return roster.moodle_group(student_id(folder.name))


def ungrouped(worksheet: Path, students: Iterable[str], roster: GroupRoster) -> list[str]:
    """A line for each student of the class list (Moodle's worksheet) in no group."""
    where = display_path(roster.path)
    return [
        f"{display_path(worksheet)}: '{safe_text(name, 80)}' is in no group of {where}"
        for name in sorted({student_id(student) for student in students})
        if roster.group_of(name) is None
    ]
