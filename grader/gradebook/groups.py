"""A group roster: the students who hand in one submission together (a pair of the mini-projet,
a group of any assignment), read once for `grader grade --groups` and `grader similarity
--groups`.

The roster is the instructor's file, often an LMS or a French spreadsheet's export: CSV with the
columns group and student (or groupe and étudiant), `,` `;` or tab separated, UTF-8 or cp1252
(grader/quiz/answers.py's decoding). It is read bounded; names are made safe (grader.text); a
bad row, a student in two groups, is an error naming the file, the line and the field.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from grader.errors import ConfigError, display_path
from grader.gradebook.store import CurrentResult
from grader.quiz.answers import decode, separator
from grader.text import safe_text, spreadsheet_text, student_id

MAX_ROSTER_BYTES = 5 * 1024**2
NAME_LIMIT = 200  # a group or student name longer than this is no name: an error
MAX_MEMBERS = 50  # each member's report names them all
HEADERS = {"group": ("group", "groupe"), "student": ("student", "étudiant", "etudiant")}


@dataclass(frozen=True)
class GroupRoster:
    """Each group's members in the roster's order, and the line naming each group first."""

    path: Path
    members: dict[str, tuple[str, ...]]
    lines: dict[str, int]
    notices: list[str] = field(default_factory=list)  # the encoding guessed, if not UTF-8

    def group_of(self, student: str) -> str | None:
        return next((g for g, names in self.members.items() if student in names), None)

    def moodle_group(self, shown: str) -> str | None:
        """The group a Moodle group submission's folder names: Moodle writes the group's name
        with its underscores as spaces (then cleans it as a file name)."""
        return next((g for g in self.members if g.replace("_", " ") == shown), None)

    def pairs(self) -> set[frozenset[str]]:
        """Every pair of students who share a group (grader/similarity does not flag them)."""
        return {frozenset(p) for names in self.members.values() for p in combinations(names, 2)}


def by_submission(current: Mapping[str, CurrentResult]) -> dict[str, CurrentResult]:
    """Each graded submission once: a group's under the group's name (its first member's
    result, which every member's repeats), a student's under theirs."""
    once: dict[str, CurrentResult] = {}
    for student, result in current.items():
        group = result.report.group
        if group is None:
            once[student] = result
        elif group.name not in once or student == group.members[0]:
            once[group.name] = result
    return once


def read_groups(path: Path) -> GroupRoster:
    """The roster of `path`; a ConfigError naming the line and field of its first bad row."""
    try:
        with path.open("rb") as file:
            content = file.read(MAX_ROSTER_BYTES + 1)
    except OSError as error:
        raise ConfigError(path, f"cannot read the group roster: {error.strerror}") from None
    if len(content) > MAX_ROSTER_BYTES:
        raise ConfigError(path, f"the group roster is larger than {MAX_ROSTER_BYTES} bytes")
    guessed: list[str] = []
    text = decode(path, content, None, guessed)
    notices = [f"{display_path(path)}: not UTF-8, read as cp1252 or Latin-1"] if guessed else []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator(text))
    columns = _columns(path, next(reader, []))
    roster = GroupRoster(path, {}, {}, notices)
    seen: dict[str, tuple[str, int]] = {}  # student -> (group, line)
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        group, student = (_name(path, reader.line_num, row, columns, c) for c in HEADERS)
        if student in seen and seen[student][0] != group:
            other, line = seen[student]
            raise ConfigError(
                path,
                f"'{student}' is already in group '{other}' (line {line})",
                line=reader.line_num,
                field="student",
            )
        seen[student] = (group, reader.line_num)
        roster.lines.setdefault(group, reader.line_num)
        names = roster.members.get(group, ())
        if student not in names and len(names) == MAX_MEMBERS:
            raise ConfigError(
                path, f"more than {MAX_MEMBERS} students in one group", reader.line_num, "group"
            )
        roster.members[group] = names if student in names else (*names, student)
    _distinct(roster, seen)
    return roster


def _distinct(roster: GroupRoster, seen: dict[str, tuple[str, int]]) -> None:
    """A group may not be named as a student of another group: a submission of that name
    would be both."""
    for group, line in roster.lines.items():
        if group in seen and seen[group][0] != group:
            raise ConfigError(
                roster.path,
                f"'{group}' is also a student of group '{seen[group][0]}' (line {seen[group][1]})",
                line=line,
                field="group",
            )


def _columns(path: Path, header: list[str]) -> dict[str, int]:
    """Where the group and student columns are, by their English or French names."""
    found = [name.strip().casefold() for name in header]
    columns = {}
    for column, names in HEADERS.items():
        index = next((found.index(n) for n in names if n in found), None)
        if index is None:
            shown = ", ".join(safe_text(name, 60) for name in header) or "nothing"
            raise ConfigError(
                path,
                f"expected the columns group and student (or groupe and étudiant); found {shown}",
                line=1,
            )
        columns[column] = index
    return columns


def _name(path: Path, line: int, row: list[str], columns: dict[str, int], column: str) -> str:
    """A cell as the id the gradebook keeps: a student's as grader.text.student_id makes a
    file name's; an empty or overlong one is an error."""
    cells = row[columns[column]] if columns[column] < len(row) else ""
    name = student_id(spreadsheet_text(cells.strip()))  # '=x was written for the name =x
    if not name:
        raise ConfigError(path, "empty", line=line, field=column)
    if len(name) > NAME_LIMIT:
        raise ConfigError(path, f"longer than {NAME_LIMIT} characters", line=line, field=column)
    if "/" in name or name in (".", ".."):  # it names reports/<student>.html
        raise ConfigError(path, f"'{name}' cannot be a file name", line=line, field=column)
    return name
