"""Late work: when each student handed in, their due date, and the penalty (pure arithmetic).

The submission time comes from the file's modification time, or from a column of an LMS
export (Moodle's "Dernière modification", Gradescope's "Submission Time"...). Extensions are a
YAML or CSV file giving, per student, a new due date or a number of extra days.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from grader.assignment.spec import LateSpec
from grader.errors import ConfigError
from grader.results import GradeReport, Lateness
from grader.sandbox.limits import Limits
from grader.submission import Walk


@dataclass(frozen=True)
class LatePolicy:
    due: datetime
    per_day: float  # percent of the maximum score per started day
    cap: float  # percent of the maximum score at most
    extensions: Mapping[str, datetime]  # student -> their own due date

    @classmethod
    def from_spec(
        cls, spec: LateSpec, extensions: Mapping[str, datetime] | None = None
    ) -> LatePolicy:
        return cls(_aware(spec.due), spec.per_day, spec.cap, dict(extensions or {}))

    def due_for(self, student: str) -> datetime:
        return self.extensions.get(student, self.due)


def lateness(
    policy: LatePolicy, student: str, submitted_at: datetime, max_score: float
) -> Lateness | None:
    """None when on time; otherwise the started days late and the points taken off."""
    due = policy.due_for(student)
    submitted = _aware(submitted_at)
    if submitted <= due:
        return None
    days = math.ceil((submitted - due) / timedelta(days=1))
    percent = min(policy.cap, policy.per_day * days)
    return Lateness(
        submitted_at=submitted.astimezone(UTC).isoformat(timespec="seconds"),
        due=due.astimezone(UTC).isoformat(timespec="seconds"),
        days_late=days,
        penalty=round(max_score * percent / 100, 2),
    )


def apply_lateness(report: GradeReport, late: Lateness | None) -> GradeReport:
    """The score less the penalty (never below 0), the lateness kept for the report."""
    if late is None:
        return report
    return replace(report, score=max(0.0, round(report.score - late.penalty, 2)), late=late)


def file_time(path: Path, limits: Limits) -> datetime:
    """When the submission was last written: the newest file of a student's folder (those
    grading reads: links are not followed), or the folder's own time when it has none."""
    times = [found.status.st_mtime for found in Walk(path, limits) if not found.is_dir]
    return datetime.fromtimestamp(max(times or [os.lstat(path).st_mtime]), UTC)


def read_extensions(path: Path, due: datetime) -> dict[str, datetime]:
    """`student: 2026-12-03T12:00:00+01:00` or `student: 2` (extra days); YAML or CSV.

    A CSV has the columns `student` and `extension` holding either form.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ConfigError(path, f"cannot read the extensions file: {error.strerror}") from None
    entries: list[tuple[int | None, str, object]]
    if path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
        if rows and not {"student", "extension"} <= set(rows[0]):
            raise ConfigError(path, "expected the columns student and extension", line=1)
        entries = [(i + 2, row["student"], row["extension"]) for i, row in enumerate(rows)]
    else:
        loaded = yaml.safe_load(text) or {}
        if not isinstance(loaded, dict):
            raise ConfigError(path, "expected a mapping student: due date or extra days")
        entries = [(None, str(k), v) for k, v in loaded.items()]
    extensions = {}
    for line, student, value in entries:
        extensions[student] = _extended_due(path, line, student, value, _aware(due))
    return extensions


def read_lms_times(path: Path, column: str, student_column: str = "student") -> dict[str, datetime]:
    """Submission times from an LMS export (CSV): one row per student."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ConfigError(path, f"cannot read the LMS export: {error.strerror}") from None
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    for wanted in (student_column, column):
        if wanted not in header:
            raise ConfigError(path, f"no column {wanted!r}; found {header}", line=1)
    times = {}
    for row in reader:
        try:
            times[row[student_column]] = _aware(datetime.fromisoformat(row[column].strip()))
        except ValueError:
            raise ConfigError(
                path,
                f"{column}: expected a date such as 2026-12-01T23:59:00+01:00, got {row[column]!r}",
                line=reader.line_num,
            ) from None
    return times


def _extended_due(
    path: Path, line: int | None, student: str, value: object, due: datetime
) -> datetime:
    if isinstance(value, datetime):
        return _aware(value)
    text = str(value).strip()
    try:
        return due + timedelta(days=float(text))
    except ValueError:
        pass
    try:
        return _aware(datetime.fromisoformat(text))
    except ValueError:
        raise ConfigError(
            path,
            f"{student}: expected a due date or a number of extra days, got {text!r}",
            line=line,
        ) from None


def _aware(moment: datetime) -> datetime:
    """A date without an offset is read as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
