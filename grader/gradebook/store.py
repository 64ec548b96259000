"""SQLite gradebook: each result is written in one transaction as soon as it is graded.

Append-only: a regrade adds a row, the history stays. Keyed by the submission's content hash.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from grader.results import GradeReport, report_from_dict, report_to_dict

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    assignment TEXT NOT NULL,
    started_at TEXT NOT NULL,
    seed TEXT NOT NULL,
    sandbox TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    root TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS results (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    assignment TEXT NOT NULL,
    student TEXT NOT NULL,
    submission_hash TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    status TEXT NOT NULL,
    graded_at TEXT NOT NULL,
    report TEXT NOT NULL,
    submission TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS results_by_student ON results(assignment, student, id);
"""


@dataclass(frozen=True)
class CurrentResult:
    submission_hash: str
    submission: Path | None  # where the graded submission was (for manual grading material)
    report: GradeReport


class Gradebook:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None)  # explicit transactions below
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        # A gradebook written before these columns existed gets them, empty.
        for table, column in (("results", "submission"), ("runs", "title"), ("runs", "root")):
            columns = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            if column not in columns:
                self._db.execute(
                    f"ALTER TABLE {table} ADD COLUMN {column} TEXT NOT NULL DEFAULT ''"
                )

    def start_run(
        self, assignment: str, seed: int, sandbox: str, title: str = "", root: Path | None = None
    ) -> int:
        """`root`: the assignment's folder, where `grader report` finds its current rubric."""
        started = datetime.now(UTC).isoformat(timespec="seconds")
        with self._transaction():
            cursor = self._db.execute(
                "INSERT INTO runs (assignment, started_at, seed, sandbox, title, root) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (assignment, started, str(seed), sandbox, title, _path_value(root)),
            )
        return int(cursor.lastrowid or 0)

    def root(self, assignment: str) -> Path | None:
        """The assignment's folder as the last grading run knew it."""
        row = self._db.execute(
            "SELECT root FROM runs WHERE assignment = ? AND root != '' ORDER BY id DESC LIMIT 1",
            (assignment,),
        ).fetchone()
        return Path(os.fsdecode(row[0])) if row else None

    def title(self, assignment: str) -> str:
        """The assignment's title as the last run knew it (the id when never told)."""
        row = self._db.execute(
            "SELECT title FROM runs WHERE assignment = ? AND title != '' ORDER BY id DESC LIMIT 1",
            (assignment,),
        ).fetchone()
        return str(row[0]) if row else assignment

    def record(self, run_id: int, report: GradeReport, submission: Path | None = None) -> None:
        """One transaction: once it returns, the result survives a kill of the grader."""
        with self._transaction():
            self.insert_result(run_id, report, submission)

    def insert_result(self, run_id: int, report: GradeReport, submission: Path | None) -> int:
        """The row of `record`, inside a transaction the caller holds (grader/marking writes a
        mark and its result together); returns the row's id."""
        return int(
            self._db.execute(
                "INSERT INTO results (run_id, assignment, student, submission_hash, score, "
                "max_score, status, graded_at, report, submission) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    report.assignment,
                    report.student,
                    report.submission_hash,
                    report.score,
                    report.max_score,
                    report.execution.status.value,
                    report.graded_at,
                    json.dumps(report_to_dict(report), ensure_ascii=False),
                    _path_value(submission),
                ),
            ).lastrowid
            or 0
        )

    def current(self, assignment: str) -> dict[str, CurrentResult]:
        """Each student's current result (the last recorded) with the submission it graded."""
        rows = self._db.execute(
            "SELECT student, submission_hash, submission, report FROM results WHERE id IN "
            "(SELECT MAX(id) FROM results WHERE assignment = ? GROUP BY student)",
            (assignment,),
        ).fetchall()
        return {
            str(row[0]): CurrentResult(
                str(row[1]),
                Path(os.fsdecode(row[2])) if row[2] else None,
                report_from_dict(json.loads(row[3])),
            )
            for row in rows
        }

    def assignments(self) -> list[str]:
        rows = self._db.execute("SELECT DISTINCT assignment FROM results ORDER BY 1").fetchall()
        return [str(row[0]) for row in rows]

    def latest(self, assignment: str) -> list[GradeReport]:
        """The current result of each student: the last one recorded."""
        rows = self._db.execute(
            "SELECT report FROM results WHERE id IN (SELECT MAX(id) FROM results "
            "WHERE assignment = ? GROUP BY student) ORDER BY student",
            (assignment,),
        ).fetchall()
        return [report_from_dict(json.loads(row[0])) for row in rows]

    def history(self, assignment: str, student: str) -> list[tuple[int, float, str]]:
        """(run, score, submission hash) of every grading of this student, oldest first."""
        rows = self._db.execute(
            "SELECT run_id, score, submission_hash FROM results WHERE assignment = ? "
            "AND student = ? ORDER BY id",
            (assignment, student),
        ).fetchall()
        return [(int(r[0]), float(r[1]), str(r[2])) for r in rows]

    def close(self) -> None:
        self._db.close()

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


def _path_value(path: Path | None) -> str | bytes:
    """A path as SQLite takes it: its bytes when the name is not UTF-8 (a student's file name
    can be anything; SQLite's text is UTF-8 only)."""
    text = "" if path is None else str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(text)
    return text


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        self._db.execute("COMMIT" if kind is None else "ROLLBACK")
