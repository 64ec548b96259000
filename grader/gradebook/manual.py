"""Manual grading: the material of manual criteria out to a file, the instructor's marks back in.

`export_manual` writes one entry per (student, manual criterion) with the student's own
free-text cells and the plots their notebook shows (saved as PNG files beside the sheet); the
instructor fills `points` and `comment`; `import_marks` validates the sheet and returns the
updated reports, which the caller records (a new gradebook row each: the history stays).

A group's submission (grader/gradebook/groups.py) has its entries once, under the group's name:
its marks go to every member. Each member also has an entry of the criterion `(adjustment)`:
points added to that member's total alone (negative to take off), with a comment saying why.
"""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import nbformat
import yaml

from grader.errors import ConfigError
from grader.gradebook.groups import by_submission
from grader.gradebook.store import CurrentResult
from grader.results import Adjustment, CriterionScore, GradeReport
from grader.sandbox.limits import Limits
from grader.submission import read_notebook
from grader.text import SpreadsheetWriter, clean_text, spreadsheet_text

FIELDS = ("student", "criterion", "max_points", "points", "comment", "text", "plots")
ADJUSTMENT = "(adjustment)"  # a sheet's criterion: one member's individual adjustment


@dataclass(frozen=True)
class Mark:
    student: str
    criterion: str
    points: float
    comment: str | None
    line: int | None  # where the mark is in the sheet, for error messages


def student_material(
    path: Path, template_sources: set[str], limits: Limits
) -> tuple[str, list[bytes]]:
    """The free text the student wrote (markdown cells not in the template) and their plots,
    from the notebook grading ran (read as grader/submission.py reads it, links not followed)."""
    texts, plots = [], []
    for cell in notebook_cells(path, limits):
        if cell.cell_type == "markdown" and cell.source.strip() not in template_sources:
            texts.append(cell.source.strip())
        for output in cell.get("outputs", ()):
            image = output.get("data", {}).get("image/png")
            if isinstance(image, str):
                plots.append(base64.b64decode(image))
    return clean_text("\n\n".join(texts)), plots  # the student's: any character at all


def notebook_cells(path: Path, limits: Limits) -> list[Any]:
    """The cells of the notebook grading ran (read as grader/submission.py reads it, links not
    followed); none when there is no notebook or an unreadable one: its report says why."""
    content = read_notebook(path, limits).content
    try:
        notebook = nbformat.reads(content.decode(), as_version=4)  # type: ignore[union-attr,no-untyped-call]
    except Exception:
        return []
    return list(notebook.cells)


def export_manual(
    current: Mapping[str, CurrentResult], template_sources: set[str], sheet: Path, limits: Limits
) -> int:
    """Write the sheet (.yaml or .csv) and the plots beside it; returns the number of entries."""
    entries: list[dict[str, Any]] = []
    for student, result in sorted(by_submission(current).items()):
        if any(c.manual for c in result.report.criteria):
            entries += _criterion_entries(student, result, template_sources, sheet, limits)
        entries += _adjustment_entries(current, result.report)
    sheet.parent.mkdir(parents=True, exist_ok=True)
    if sheet.suffix.lower() == ".csv":
        out = io.StringIO()
        writer = SpreadsheetWriter(out)
        writer.writerow(FIELDS)
        for entry in entries:
            cells = {
                **entry,
                "points": "" if entry["points"] is None else entry["points"],
                "plots": " ".join(entry["plots"]),
            }
            writer.writerow(cells[name] for name in FIELDS)
        sheet.write_text(out.getvalue(), encoding="utf-8")
    else:
        sheet.write_text(
            yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
    return len(entries)


def _criterion_entries(
    student: str, result: CurrentResult, template_sources: set[str], sheet: Path, limits: Limits
) -> list[dict[str, Any]]:
    """The entries of one submission's manual criteria, its plots written beside the sheet."""
    text, plots = "", list[bytes]()
    if result.submission is not None:
        text, plots = student_material(result.submission, template_sources, limits)
    plot_paths = []
    for index, image in enumerate(plots, start=1):
        target = sheet.parent / f"{sheet.stem}-plots" / student / f"plot-{index}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(image)
        plot_paths.append(str(target.relative_to(sheet.parent)))
    return [
        {
            "student": student,
            "criterion": criterion.id,
            "max_points": criterion.max_points,
            "points": criterion.points if criterion.marked else None,
            "comment": criterion.comment or "",
            "text": text,
            "plots": plot_paths,
        }
        for criterion in result.report.criteria
        if criterion.manual
    ]


def _adjustment_entries(
    current: Mapping[str, CurrentResult], report: GradeReport
) -> list[dict[str, Any]]:
    """A group's members' adjustment entries, where the sheet gives the group's marks."""
    if report.group is None:
        return []
    entries: list[dict[str, Any]] = []
    for member in report.group.members:
        found = current.get(member)
        adjusted = found.report.adjustment if found else None
        entries.append(
            {
                "student": member,
                "criterion": ADJUSTMENT,
                "max_points": "",
                "points": adjusted.points if adjusted else None,
                "comment": adjusted.comment if adjusted else "",
                "text": "",
                "plots": [],
            }
        )
    return entries


def read_marks(sheet: Path) -> list[Mark]:
    """Entries with `points` filled in; blank ones are still awaiting a mark and are skipped."""
    try:
        text = sheet.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ConfigError(sheet, f"cannot read the marks: {error.strerror}") from None
    rows: list[tuple[int | None, dict[str, Any]]]
    if sheet.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines(keepends=True))
        missing = {"student", "criterion", "points"} - set(reader.fieldnames or [])
        if missing:
            raise ConfigError(sheet, f"missing column(s) {', '.join(sorted(missing))}", line=1)
        rows = []
        for row in reader:
            # A student id such as "=x" was written "'=x", so that no spreadsheet runs it.
            cells = {key: spreadsheet_text(value or "") for key, value in row.items()}
            rows.append((reader.line_num, cells))
    else:
        try:
            loaded = yaml.compose(text)
            entries = yaml.safe_load(text) or []
        except yaml.YAMLError as error:
            raise ConfigError(sheet, f"invalid YAML: {error}") from None
        if not isinstance(entries, list):
            raise ConfigError(sheet, "expected a list of entries (student, criterion, points)")
        lines = [node.start_mark.line + 1 for node in loaded.value] if loaded else []
        rows = list(zip(lines, entries, strict=True))
    marks = []
    for index, (line, row) in enumerate(rows):
        if not isinstance(row, dict) or "student" not in row or "criterion" not in row:
            raise ConfigError(
                sheet, "each entry needs student and criterion", line=line, field=f"[{index}]"
            )
        points = row.get("points")
        if points is None or str(points).strip() == "":
            continue
        try:
            value = float(str(points).replace(",", "."))
        except ValueError:
            raise ConfigError(
                sheet, f"expected a number, got {points!r}", line=line, field=f"[{index}].points"
            ) from None
        comment = str(row.get("comment") or "").strip() or None
        marks.append(Mark(str(row["student"]), str(row["criterion"]), value, comment, line))
    return marks


def apply_marks(
    sheet: Path, marks: Sequence[Mark], current: Mapping[str, GradeReport]
) -> list[GradeReport]:
    """The reports with the marks in; every mark must name a manual criterion, within bounds."""
    updated: dict[str, GradeReport] = {}
    for mark in marks:
        field = f"{mark.student}.{mark.criterion}"
        students = _marked_students(mark.student, current)
        if not students:
            raise ConfigError(sheet, "no graded submission for this student", mark.line, field)
        for student in students:
            report = updated.get(student) or current[student]
            updated[student] = _apply_mark(sheet, mark, report, field)
    return [updated[student] for student in sorted(updated)]


def _marked_students(name: str, current: Mapping[str, GradeReport]) -> list[str]:
    """The student a sheet's entry names, or the members of the group it names."""
    if name in current:
        return [name]
    return [s for s, r in current.items() if r.group is not None and r.group.name == name]


def _apply_mark(sheet: Path, mark: Mark, report: GradeReport, field: str) -> GradeReport:
    """One entry of the sheet in one student's report: a criterion's mark or an adjustment."""
    if mark.criterion == ADJUSTMENT:
        if abs(mark.points) > report.max_score:
            raise ConfigError(
                sheet,
                f"an adjustment must be between -{report.max_score:g} and "
                f"{report.max_score:g}, got {mark.points:g}",
                mark.line,
                field,
            )
        return adjusted(report, Adjustment(mark.points, mark.comment or ""))
    criterion = next((c for c in report.criteria if c.id == mark.criterion), None)
    if criterion is None or not criterion.manual:
        raise ConfigError(sheet, "not a manual criterion of the rubric", mark.line, field)
    if not 0 <= mark.points <= criterion.max_points:
        raise ConfigError(
            sheet,
            f"points must be between 0 and {criterion.max_points:g}, got {mark.points:g}",
            mark.line,
            field,
        )
    marked = replace(criterion, points=mark.points, marked=True, comment=mark.comment)
    return rescore(report, marked)


def rescore(report: GradeReport, changed: CriterionScore) -> GradeReport:
    """The report with one criterion replaced and its total (late penalty and individual
    adjustment included) recomputed."""
    criteria = tuple(changed if c.id == changed.id else c for c in report.criteria)
    return _totalled(replace(report, criteria=criteria))


def adjusted(report: GradeReport, adjustment: Adjustment) -> GradeReport:
    """The report with its member's adjustment (none when 0 points and no comment)."""
    keep = adjustment if adjustment.points or adjustment.comment else None
    return _totalled(replace(report, adjustment=keep))


def _totalled(report: GradeReport) -> GradeReport:
    """The total: the criteria's points, less the late penalty, plus the adjustment, kept
    within 0 and the maximum."""
    penalty = report.late.penalty if report.late else 0.0
    extra = report.adjustment.points if report.adjustment else 0.0
    total = sum(c.points for c in report.criteria) - penalty + extra
    return replace(report, score=min(max(0.0, round(total, 2)), report.max_score))


def carry_marks(new: GradeReport, previous: GradeReport | None) -> GradeReport:
    """A regrade of the same submission keeps the instructor's manual marks and a member's
    adjustment."""
    if previous is None or previous.submission_hash != new.submission_hash:
        return new
    if previous.adjustment is not None:
        new = adjusted(new, previous.adjustment)
    for criterion in previous.criteria:
        if criterion.manual and criterion.marked:
            mine = next((c for c in new.criteria if c.id == criterion.id and c.manual), None)
            if mine is not None:
                new = rescore(
                    new,
                    replace(mine, points=criterion.points, marked=True, comment=criterion.comment),
                )
    return new


def template_sources(notebook: Path) -> set[str]:
    """The markdown of the assignment's notebook: what the student did not write."""
    source = nbformat.read(notebook, as_version=4)  # type: ignore[no-untyped-call]
    return {cell.source.strip() for cell in source.cells if cell.cell_type == "markdown"}
