"""Recorded outputs in (CSV or JSONL tables) and per-student results out (versioned JSON).

A table has one row per (student, case, prompt): columns `student`, `case`, `prompt`, `output`,
and optionally `grade`, the student's own 0/1/2 (empty when not graded).
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

from grader.bench.scoring import BenchResult, RecordedOutput
from grader.errors import ConfigError
from grader.results import SCHEMA_VERSION

COLUMNS = ("student", "case", "prompt", "output")
_SAFE_ID = re.compile(r"\w[\w.-]*")


def read_outputs(path: str | Path) -> list[RecordedOutput]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(path, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, f"cannot read the file: {exc}") from None
    if path.suffix.lower() == ".jsonl":
        return _read_jsonl(path, text)
    if path.suffix.lower() == ".csv":
        return _read_csv(path, text)
    raise ConfigError(path, "expected a .csv or .jsonl file of outputs")


def _read_csv(path: Path, text: str) -> list[RecordedOutput]:
    reader = csv.DictReader(text.splitlines(keepends=True))
    header = reader.fieldnames or []
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise ConfigError(path, f"missing column(s) {', '.join(missing)}; found {header}", line=1)
    rows = []
    for row in reader:
        line = reader.line_num  # the row's last line: outputs may span several lines
        if None in row:
            raise ConfigError(path, "more values than columns", line=line)
        rows.append(_row(path, line, row))
    return rows


def _read_jsonl(path: Path, text: str) -> list[RecordedOutput]:
    rows = []
    for line, content in enumerate(text.splitlines(), start=1):
        if not content.strip():
            continue
        try:
            record = json.loads(content)
        except ValueError as exc:
            raise ConfigError(path, f"invalid JSON: {exc}", line=line) from None
        if not isinstance(record, dict):
            raise ConfigError(path, "expected one JSON object per line", line=line)
        rows.append(_row(path, line, record))
    return rows


def _row(path: Path, line: int, record: dict[str, Any]) -> RecordedOutput:
    for column in COLUMNS:
        value = record.get(column)
        if value is None:
            raise ConfigError(path, "required, but missing", line=line, field=column)
        if not isinstance(value, str) or (column != "output" and not value.strip()):
            raise ConfigError(path, f"expected a text, got {value!r}", line=line, field=column)
    if not _SAFE_ID.fullmatch(record["student"].strip()):
        raise ConfigError(
            path,
            f"student id {record['student']!r} may hold only letters, digits, '.', '-' and '_' "
            "(it names the result files)",
            line=line,
            field="student",
        )
    unknown = sorted(set(record) - {*COLUMNS, "grade"})
    if unknown:
        raise ConfigError(path, f"unknown column(s) {', '.join(unknown)}", line=line)
    return RecordedOutput(
        student=record["student"].strip(),
        case=record["case"].strip(),
        prompt=record["prompt"].strip(),
        output=record["output"],
        student_grade=_grade(path, line, record.get("grade")),
    )


def _grade(path: Path, line: int, value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if isinstance(value, bool) or text not in ("0", "1", "2", "0.0", "1.0", "2.0"):
        raise ConfigError(path, f"expected 0, 1 or 2, got {value!r}", line=line, field="grade")
    return int(float(text))


def by_student(rows: list[RecordedOutput]) -> dict[str, list[RecordedOutput]]:
    students: dict[str, list[RecordedOutput]] = {}
    for row in rows:
        students.setdefault(row.student, []).append(row)
    return students


def result_to_dict(result: BenchResult) -> dict[str, Any]:
    """The JSON of one student's benchmark: schema_version 1, kind "bench"."""
    body = asdict(result)
    for prompt in body["prompts"]:
        for case, scored in zip(prompt["cases"], _cases(result, prompt["prompt"]), strict=True):
            case["reason"] = scored.reason
    if result.analysis is not None:
        for mean, check in zip(body["analysis"]["means"], result.analysis.means, strict=True):
            mean["matches"] = check.matches
    return {"schema_version": SCHEMA_VERSION, "kind": "bench", **body}


def _cases(result: BenchResult, prompt: str) -> tuple[Any, ...]:
    return next(p.cases for p in result.prompts if p.prompt == prompt)
