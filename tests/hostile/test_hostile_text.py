"""Hostile text through `grader grade` in bwrap boxes (issue 16, point 3, and the size of kernel
texts in point 4): a kernel's lone surrogates, control characters and megabytes of error text,
and student ids (file names) that spreadsheets would run as formulas or terminals obey.

Beside them, normal students (copies of alice.ipynb) keep 20/20, the class files are written,
every export parses, and running the same command again works from what was stored.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
from pathlib import Path

import nbformat
import pytest
from lxml import etree

from grader.text import spreadsheet_text
from tests.conftest import EXAMPLES, IN_BWRAP_BOXES, grader_command

pytestmark = [*IN_BWRAP_BOXES, pytest.mark.slow]

# The probe helper cuts an exception's message in the kernel, but the kernel is the student's:
# a patched json.dumps sends the whole 5 MB (twice: message and traceback) on every probe.
SOFTMAX_RAISES = r"""
import json
FLOOD = "\ud800\x1b[2J\x07\x00\x0c\x9b\ufffe<b>" + "x" * 5_000_000
_dumps = json.dumps
def _inflate(value, *args, **kwargs):
    if isinstance(value, dict) and "__raised__" in value:
        value["__raised__"].update(message=FLOOD, traceback=FLOOD, type="Value\x1bError\ud800")
    return _dumps(value, *args, **kwargs)
json.dumps = _inflate

def softmax(x, axis=-1):
    raise ValueError(FLOOD)
"""
PRINTS_CONTROLS = r'print("\x1b[2J\x1b]0;pwned\x07\x00\x9b31m\ud800 fin")'
# ipykernel cannot send an error holding a lone surrogate (the cell then looks "ok"): not here.
CELL_RAISES = r'raise RuntimeError("\x1b[31m\x00\x9b" + "y" * 5_000_000)'

FORMULA_IDS = ['=HYPERLINK("http:x")+1', "@SUM(A1)", "-2+3"]  # a file name holds no "/"
ESCAPE_NAME = b"\xff\x1b[2J"  # not UTF-8, and a terminal's clear-screen
ESCAPE_ID = "\\xff\\x1b[2J"  # the id it gets: its bytes shown, nothing a terminal obeys
NORMAL = ["alice", *FORMULA_IDS, ESCAPE_ID]
CLASS_FILES = ["gradebook.csv", "gradebook.json", "summary.html", "moodle.csv", "junit.xml"]
BOUND = 200_000  # bytes of the attacker's results JSON, HTML report and gradebook row


def mallory(folder: Path) -> Path:
    """alice's notebook with softmax replaced, and two hostile cells at the end."""
    notebook = nbformat.read(EXAMPLES / "alice.ipynb", as_version=4)
    [index] = [i for i, c in enumerate(notebook.cells) if c.source.startswith("def softmax")]
    notebook.cells[index].source = SOFTMAX_RAISES
    notebook.cells += [nbformat.v4.new_code_cell(PRINTS_CONTROLS)]
    notebook.cells += [nbformat.v4.new_code_cell(CELL_RAISES)]
    path = folder / "mallory.ipynb"
    nbformat.write(notebook, path)
    return path


def the_class(folder: Path) -> list[Path]:
    folder.mkdir()
    names = ["alice", *FORMULA_IDS, os.fsdecode(ESCAPE_NAME)]
    copies = [folder / f"{name}.ipynb" for name in names]
    for copy in copies:
        shutil.copyfile(EXAMPLES / "alice.ipynb", copy)
    return [mallory(folder), *copies]


def csv_students(path: Path, column: str) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        assert not row[column].startswith(("=", "+", "-", "@", "\t", "\r")), row
    return {spreadsheet_text(row[column]): row for row in rows}


def assert_class_written(out: Path) -> None:
    for name in CLASS_FILES:
        assert (out / name).is_file(), name
    scores = {
        s: float(row["score"]) for s, row in csv_students(out / "gradebook.csv", "student").items()
    }
    assert scores.keys() == {"mallory", *NORMAL}
    assert all(scores[student] == 20 for student in NORMAL), scores
    assert scores["mallory"] < 20
    moodle = csv_students(out / "moodle.csv", "Username")
    assert moodle.keys() == scores.keys()
    assert json.loads((out / "gradebook.json").read_text())["results"]
    assert len(list((out / "gradescope").iterdir())) == len(scores)
    junit = etree.parse(str(out / "junit.xml"))  # raises on XML that is not well-formed
    assert len(junit.findall("testsuite")) == len(scores)


def assert_attacker_bounded(out: Path) -> None:
    raw = (out / "results" / "mallory.json").read_bytes()
    html = (out / "reports" / "mallory.html").read_bytes()
    assert len(raw) < BOUND and len(html) < BOUND, (len(raw), len(html))
    assert b"\\u001b" not in raw and b"\\ud800" not in raw  # no control, no surrogate
    assert b"\xc2\x9b" not in raw and b"\x1b" not in html and b"\xc2\x9b" not in html
    assert "message tronqué" in html.decode()
    result = json.loads(raw)
    checks = {c["id"]: c for criterion in result["criteria"] for c in criterion["checks"]}
    softmax = checks["softmax.exemple"]
    assert softmax["outcome"] == "error"
    assert "Value\\x1bError\ufffd" in softmax["message"]
    assert "\ufffd\\x1b[2J\\x07\\x00\\x0c\\x9b\\ufffe<b>xxx" in softmax["message"]
    assert "… [message tronqué : 5\u202f0" in softmax["message"]  # 5,000,000 and a few
    errors = [cell["error"] for cell in result["execution"]["cells"] if cell.get("error")]
    assert errors and all("\x1b" not in error and len(error) <= 2000 for error in errors)
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        sizes = db.execute("SELECT length(report) FROM results WHERE student = 'mallory'")
        assert all(size < BOUND for (size,) in sizes)


def test_hostile_text_is_stored_and_rendered_safe_and_never_stops_the_class(
    tmp_path: Path, assignment_copy: Path
) -> None:
    # Warm kernels only: what a kernel sends reaches the grader through the same session either
    # way (tests/hostile/test_protocol.py grades a class with fresh kernels too).
    # Six kernels on a shared machine: MiniLM's loading cell may need more than its 15 s.
    spec = assignment_copy / "assignment.yaml"
    spec.write_text(spec.read_text().replace("cell_timeout: 15", "cell_timeout: 60"))
    spec.write_text(spec.read_text().replace("notebook_timeout: 120", "notebook_timeout: 300"))
    submissions = [str(path) for path in the_class(tmp_path / "class")]
    out = tmp_path / "out"
    command = ["grade", str(assignment_copy), *submissions, "--out", str(out), "-j", "2"]
    command += ["--sandbox", "bwrap", "--junit", str(out / "junit.xml")]
    first = grader_command(*command)
    assert first.returncode <= 1, first.stderr
    assert "\x1b[2J" not in first.stdout + first.stderr  # a file name does not clear a terminal
    assert_class_written(out)
    assert_attacker_bounded(out)
    csv_before = (out / "gradebook.csv").read_bytes()

    again = grader_command(*command)  # from what the first run stored: nothing is graded
    assert again.returncode <= 1, again.stderr
    assert (out / "gradebook.csv").read_bytes() == csv_before
    assert_class_written(out)
    assert_attacker_bounded(out)
