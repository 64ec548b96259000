"""A group roster (CSV with the columns group and student): pairs of one group are marked.

The roster is the instructor's file, but it may come from an LMS export: it is read bounded,
and a bad row is an error naming the file, the line and the field.
"""

from __future__ import annotations

import csv
from itertools import combinations
from pathlib import Path

from grader.errors import ConfigError

MAX_ROSTER_BYTES = 5 * 1024**2
COLUMNS = ("group", "student")


def read_groups(path: Path) -> set[frozenset[str]]:
    """Every pair of students who share a group."""
    try:
        with path.open("rb") as roster:
            content = roster.read(MAX_ROSTER_BYTES + 1)
    except OSError as error:
        raise ConfigError(path, f"cannot read the group roster: {error.strerror}") from None
    if len(content) > MAX_ROSTER_BYTES:
        raise ConfigError(path, f"the group roster is larger than {MAX_ROSTER_BYTES} bytes")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise ConfigError(path, "not UTF-8 text", line=line) from None
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise ConfigError(path, f"expected the columns group and student; found {header}", line=1)
    members: dict[str, set[str]] = {}
    for row in reader:
        for column in COLUMNS:
            if not (row.get(column) or "").strip():
                raise ConfigError(path, "empty", line=reader.line_num, field=column)
        members.setdefault(row["group"].strip(), set()).add(row["student"].strip())
    return {frozenset(pair) for group in members.values() for pair in combinations(group, 2)}
