"""Rubric items and marks of `grader mark`, in the run's gradebook (new tables, made idempotently).

Append-only like the results: an item's edit is a new version row, a mark a new row, and each
mark writes, in the same transaction, the student's rescored report as a new result (the rows
`grader manual import` writes); a group's mark, given on its first member's result, writes every
member's. A mark's version is the id of its last row: a save naming an
older version is refused with the mark as it now is (two markers never overwrite each other).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from grader.gradebook.manual import rescore
from grader.gradebook.store import CurrentResult, Gradebook
from grader.results import CriterionScore, GradeReport, report_from_dict

_SCHEMA = """
CREATE TABLE IF NOT EXISTS marking_items (
    id INTEGER PRIMARY KEY,
    assignment TEXT NOT NULL,
    criterion TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS marking_item_versions (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES marking_items(id),
    points REAL NOT NULL,
    comment TEXT NOT NULL,
    saved_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS marking_marks (
    id INTEGER PRIMARY KEY,
    assignment TEXT NOT NULL,
    student TEXT NOT NULL,
    criterion TEXT NOT NULL,
    items TEXT NOT NULL,
    free_points REAL,
    free_comment TEXT NOT NULL,
    points REAL NOT NULL,
    comment TEXT NOT NULL,
    result_id INTEGER NOT NULL REFERENCES results(id),
    saved_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS marking_marks_by_answer
    ON marking_marks(assignment, student, criterion, id);
CREATE TABLE IF NOT EXISTS marking_secret (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    key BLOB NOT NULL
);
"""


@dataclass(frozen=True)
class Item:
    """A rubric item of a criterion marked by hand, as its last version says."""

    id: int
    criterion: str
    points: float  # added to the mark; negative for a deduction
    comment: str
    version: int


@dataclass(frozen=True)
class Mark:
    """A student's mark on a criterion: the items ticked, free points with their comment, and
    the points and comment they come to."""

    student: str
    criterion: str
    items: tuple[int, ...]
    free_points: float | None
    free_comment: str
    points: float
    comment: str
    id: int  # its row: the last of the answer's is its mark


@dataclass(frozen=True)
class Answer:
    """An answer's mark as the page shows it, and the version a save must name: the last mark
    given on the page and the mark the current result holds (a sheet imported since, or a
    regrade, changes it too)."""

    items: tuple[int, ...]
    free_points: float | None
    free_comment: str
    points: float
    marked: bool
    version: str


def answer_of(mark: Mark | None, score: CriterionScore) -> Answer:
    state = json.dumps([score.points, score.marked, score.comment or ""]).encode()
    version = f"{mark.id if mark else 0}-{hashlib.sha256(state).hexdigest()[:16]}"
    if mark is not None and _holds(score, mark):
        return Answer(
            mark.items, mark.free_points, mark.free_comment, score.points, score.marked, version
        )
    # Never marked on the page, or marked since by other means: the result's mark, as free points.
    free = score.points if score.marked else None
    return Answer((), free, score.comment or "", score.points, score.marked, version)


def _holds(score: CriterionScore, mark: Mark) -> bool:
    """The result holds the mark given on the page."""
    marked = bool(mark.items) or mark.free_points is not None
    return (score.points, score.marked, score.comment or "") == (mark.points, marked, mark.comment)


class Conflict(Exception):
    """The mark or item changed since the page read it; `current` is what it is now."""

    def __init__(self, current: Answer | Item) -> None:
        super().__init__("changed since the page was loaded")
        self.current = current


class Refused(Exception):
    """A request the gradebook cannot take (no such student, criterion or item)."""


class MarkingStore(Gradebook):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._db.executescript(_SCHEMA)

    def items(self, assignment: str) -> list[Item]:
        rows = self._db.execute(
            "SELECT i.id, i.criterion, v.points, v.comment, v.id FROM marking_items i "
            "JOIN marking_item_versions v ON v.id = (SELECT MAX(id) FROM marking_item_versions "
            "WHERE item_id = i.id) WHERE i.assignment = ? ORDER BY i.id",
            (assignment,),
        ).fetchall()
        return [Item(int(r[0]), str(r[1]), float(r[2]), str(r[3]), int(r[4])) for r in rows]

    def marks(self, assignment: str) -> dict[tuple[str, str], Mark]:
        """Each answer's last mark given on the page."""
        rows = self._db.execute(
            "SELECT student, criterion, items, free_points, free_comment, points, comment, id "
            "FROM marking_marks WHERE id IN (SELECT MAX(id) FROM marking_marks "
            "WHERE assignment = ? GROUP BY student, criterion)",
            (assignment,),
        ).fetchall()
        return {(str(r[0]), str(r[1])): _mark(r) for r in rows}

    def add_item(self, assignment: str, criterion: str, points: float, comment: str) -> Item:
        with self._transaction():
            item = int(
                self._db.execute(
                    "INSERT INTO marking_items (assignment, criterion, created_at) "
                    "VALUES (?, ?, ?)",
                    (assignment, criterion, _now()),
                ).lastrowid
                or 0
            )
            version = self._item_version(item, points, comment)
        return Item(item, criterion, points, comment, version)

    def item_uses(self, assignment: str, item_id: int) -> list[Mark]:
        """The answers whose current mark applies the item (not one marked since by a sheet)."""
        return [
            m
            for m in self.marks(assignment).values()
            if item_id in m.items and _holds(self._score(assignment, m.student, m.criterion)[1], m)
        ]

    def edit_item(
        self, assignment: str, item_id: int, points: float, comment: str, version: int, run: int
    ) -> tuple[Item, dict[str, Answer]]:
        """The item's new version and every answer it was applied to marked again, at once."""
        with self._transaction():
            item = next((i for i in self.items(assignment) if i.id == item_id), None)
            if item is None:
                raise Refused(f"no rubric item {item_id}")
            if item.version != version:
                raise Conflict(item)
            edited = replace(item, points=points, comment=comment)
            edited = replace(edited, version=self._item_version(item_id, points, comment))
            items = {i.id: i for i in self.items(assignment)}
            changed = {
                m.student: self._write_mark(
                    assignment, m, (m.items, m.free_points, m.free_comment), items, run
                )
                for m in self.item_uses(assignment, item_id)
            }
        return edited, changed

    def save_mark(
        self,
        assignment: str,
        answer: tuple[str, str],
        given: tuple[Sequence[int], float | None, str],
        version: str,
        run: int,
    ) -> Answer:
        """One transaction: refused if the answer is no longer at `version`. `given`: the items
        applied, the free points (None: none) and the free comment."""
        student, criterion = answer
        with self._transaction():
            last = self.marks(assignment).get(answer)
            now = answer_of(last, self._score(assignment, student, criterion)[1])
            if now.version != version:
                raise Conflict(now)
            items = {i.id: i for i in self.items(assignment) if i.criterion == criterion}
            if unknown := [i for i in given[0] if i not in items]:
                raise Refused(f"no rubric item {unknown[0]} for criterion {criterion}")
            blank = Mark(student, criterion, (), None, "", 0.0, "", 0)
            applied = (tuple(given[0]), given[1], given[2])
            return self._write_mark(assignment, last or blank, applied, items, run)

    def current_result(self, assignment: str, student: str) -> CurrentResult | None:
        """The student's current result alone (the whole class's is read per mark otherwise)."""
        row = self._db.execute(
            "SELECT submission_hash, submission, report FROM results WHERE assignment = ? "
            "AND student = ? ORDER BY id DESC LIMIT 1",
            (assignment, student),
        ).fetchone()
        if row is None:
            return None
        where = Path(os.fsdecode(row[1])) if row[1] else None
        return CurrentResult(str(row[0]), where, report_from_dict(json.loads(row[2])))

    def pseudonym(self, student: str) -> str:
        """A stable pseudonym: a keyed hash with a secret kept in the gradebook."""
        row = self._db.execute("SELECT key FROM marking_secret").fetchone()
        if row is None:
            with self._transaction():
                self._db.execute(
                    "INSERT OR IGNORE INTO marking_secret (id, key) VALUES (1, ?)",
                    (secrets.token_bytes(32),),
                )
            row = self._db.execute("SELECT key FROM marking_secret").fetchone()
        digest = hmac.new(bytes(row[0]), student.encode("utf-8", "surrogatepass"), hashlib.sha256)
        return f"copie-{digest.hexdigest()[:12]}"

    def _item_version(self, item: int, points: float, comment: str) -> int:
        return int(
            self._db.execute(
                "INSERT INTO marking_item_versions (item_id, points, comment, saved_at) "
                "VALUES (?, ?, ?, ?)",
                (item, points, comment, _now()),
            ).lastrowid
            or 0
        )

    def _score(
        self, assignment: str, student: str, criterion: str
    ) -> tuple[CurrentResult, CriterionScore]:
        result = self.current_result(assignment, student)
        score = _manual_criterion(result.report if result else None, criterion)
        if result is None or score is None:
            raise Refused(f"{student} has no manual criterion {criterion}")
        return result, score

    def _write_mark(
        self,
        assignment: str,
        answer: Mark,
        given: tuple[tuple[int, ...], float | None, str],
        items: dict[int, Item],
        run: int,
    ) -> Answer:
        """The answer's new mark row and its result's, rescored, in the caller's transaction."""
        result, score = self._score(assignment, answer.student, answer.criterion)
        applied, free_points, free_comment = given
        used = [items[i] for i in applied]
        marked = bool(used) or free_points is not None
        total = sum(i.points for i in used) + (free_points or 0.0)
        points = round(min(max(total, 0.0), score.max_points), 2) if marked else 0.0
        comment = "\n".join(t for t in [*(i.comment for i in used), free_comment] if t.strip())
        score = replace(score, points=points, marked=marked, comment=comment or None)
        row = self.insert_result(run, rescore(result.report, score), result.submission)
        self._mark_members(run, result.report, score)
        mark_id = self._db.execute(
            "INSERT INTO marking_marks (assignment, student, criterion, items, free_points, "
            "free_comment, points, comment, result_id, saved_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                assignment,
                answer.student,
                answer.criterion,
                json.dumps(list(applied)),
                free_points,
                free_comment,
                points,
                comment,
                row,
                _now(),
            ),
        ).lastrowid
        mark = replace(
            answer,
            items=applied,
            free_points=free_points,
            free_comment=free_comment,
            points=points,
            comment=comment,
            id=int(mark_id or 0),
        )
        return answer_of(mark, score)

    def _mark_members(self, run: int, report: GradeReport, score: CriterionScore) -> None:
        """The other members of `report`'s group get its mark (each keeps their adjustment)."""
        for member in report.group.members if report.group else ():
            found = self.current_result(report.assignment, member)
            mine = _manual_criterion(found.report if found else None, score.id)
            if member == report.student or found is None or mine is None:
                continue
            if found.report.group != report.group:  # graded alone or elsewhere since
                continue
            marked = replace(mine, points=score.points, marked=score.marked, comment=score.comment)
            self.insert_result(run, rescore(found.report, marked), found.submission)


def _manual_criterion(report: GradeReport | None, criterion: str) -> CriterionScore | None:
    found = (c for c in (report.criteria if report else ()) if c.id == criterion and c.manual)
    return next(found, None)


def _mark(row: Sequence[object]) -> Mark:
    return Mark(
        str(row[0]),
        str(row[1]),
        tuple(int(i) for i in json.loads(str(row[2]))),
        None if row[3] is None else float(str(row[3])),
        str(row[4]),
        float(str(row[5])),
        str(row[6]),
        int(str(row[7])),
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
