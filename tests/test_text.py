"""Hostile text made safe once (grader.text, results.bounded_report) and every export after it:
SQLite, JSON, JUnit (parsed by lxml), the CSV files (parsed by the csv module)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from grader.gradebook.export import gradebook_csv, junit_xml
from grader.gradebook.lms import moodle_csv
from grader.gradebook.store import Gradebook
from grader.quiz.cli import quiz
from grader.results import (
    CellRecord,
    CellStatus,
    GradeReport,
    bounded_report,
    report_from_dict,
    report_to_dict,
)
from grader.text import (
    MESSAGE_LIMIT,
    OMITTED,
    REPORT_TEXT_LIMIT,
    TextBudget,
    clean_text,
    safe_text,
    spreadsheet_cell,
    spreadsheet_text,
    student_id,
)
from tests.report_builders import make_report
from tests.test_gradebook_exports import JUNIT_XSD

HOSTILE = "\ud800 bell\x07 esc\x1b[2J nul\x00 csi\x9b ff\ufffe tab\t lf\n cr\r ok é"
FORMULA_IDS = ['=HYPERLINK("http:x")+1', "@SUM(A1)", "-2+3", "+33 6", "\tx", "\rx", "'=x"]


def hostile_report(student: str = "mallory", size: int = 5_000_000) -> GradeReport:
    """make_report with kernel text everywhere: messages, details, cells, a section."""
    report = make_report(student)
    flood = HOSTILE + "x" * size
    criteria = tuple(
        replace(
            criterion,
            checks=tuple(
                replace(check, message=flood, detail=flood, section={"kind": "t", "data": [flood]})
                for check in criterion.checks
            ),
        )
        for criterion in report.criteria
    )
    cells = tuple(CellRecord(i, CellStatus.ERROR, 0.1, flood) for i in range(200))
    execution = replace(report.execution, message=flood, detail=flood, cells=cells)
    return replace(report, criteria=criteria, execution=execution)


def test_safe_text_replaces_surrogates_and_escapes_controls_but_tab_lf_cr() -> None:
    assert clean_text(HOSTILE) == (
        "\ufffd bell\\x07 esc\\x1b[2J nul\\x00 csi\\x9b ff\\ufffe tab\t lf\n cr\r ok é"
    )
    assert safe_text(HOSTILE) == clean_text(HOSTILE)
    assert safe_text("plain text") == "plain text"


def test_safe_text_cuts_at_its_limit_says_so_and_is_idempotent() -> None:
    cut = safe_text("\x1b" * 3_000_000)  # escapes lengthen it: still within the limit
    assert len(cut) <= MESSAGE_LIMIT
    assert cut.endswith("… [message tronqué : 3\u202f000\u202f000 caractères]")
    assert cut.startswith("\\x1b\\x1b")
    assert safe_text(cut) == cut
    assert safe_text("y" * MESSAGE_LIMIT) == "y" * MESSAGE_LIMIT


def test_a_budget_bounds_a_students_texts_together() -> None:
    budget = TextBudget(10_000)
    texts = [budget.text("z" * 5_000) for _ in range(4)]
    assert [len(t) for t in texts[:2]] == [MESSAGE_LIMIT, MESSAGE_LIMIT]
    assert sum(map(len, texts)) <= 10_000
    many = [budget.text("w" * 1000) for _ in range(20)]
    assert many[-1] == OMITTED
    assert budget.data({"k\x00": ["\ud800", 3, None]}) == {OMITTED: [OMITTED, 3, None]}


def test_student_ids_keep_odd_file_names_apart() -> None:
    assert student_id(b"\xff\x1b[2J".decode("utf-8", "surrogateescape")) == "\\xff\\x1b[2J"
    assert student_id(b"\xfe".decode("utf-8", "surrogateescape")) == "\\xfe"
    assert student_id("\ud800") == "\ufffd"
    assert student_id("élodie") == "élodie"


def test_a_bounded_report_stores_exports_and_reloads_unchanged(tmp_path: Path) -> None:
    report = bounded_report(hostile_report(student="ma\x1blory\udcff"))
    data = report_to_dict(report)
    text = json.dumps(data, ensure_ascii=False)
    assert len(text.encode()) < 2 * REPORT_TEXT_LIMIT  # from 5 MB per text, 200 cells of it
    assert "\\u001b" not in text and "\\ud800" not in text  # no raw control, no surrogate
    assert report.student == "ma\\x1blory\\xff"
    assert report.execution.cells[-1].error == OMITTED
    assert bounded_report(report) == report
    assert report_from_dict(json.loads(text)) == report
    gradebook = Gradebook(tmp_path / "gradebook.sqlite")
    gradebook.record(gradebook.start_run("tp-mini", 1, "none"), report, tmp_path / "x\udcff")
    [current] = gradebook.current("tp-mini").values()
    gradebook.close()
    assert current.report == report
    assert current.submission == tmp_path / "x\udcff"  # the file's own name, byte for byte


def test_stored_dirty_text_is_cleaned_when_read() -> None:
    """A report stored by an older grader (control characters were stored as they came)."""
    dirty = report_to_dict(hostile_report(size=10))
    assert report_from_dict(dirty) == bounded_report(hostile_report(size=10))


def test_junit_is_well_formed_and_valid_with_hostile_text() -> None:
    reports = [bounded_report(hostile_report(s)) for s in ("m\x1b", "=x", "alice")]
    document = etree.fromstring(junit_xml(reports).encode())  # raises on invalid XML
    etree.XMLSchema(etree.fromstring(JUNIT_XSD.encode())).assertValid(document)
    messages = [e.get("message") for e in document.iter("failure", "error")]
    assert any(m and "\\x1b[2J" in m for m in messages)


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("+33 6", "'+33 6"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=x", "''=x"),
        ("'x", "'x"),
        ("-1.5", "-1.5"),
        ("+2e-3", "+2e-3"),
        ("alice", "alice"),
        (-1.5, -1.5),
        (-3, -3),
    ],
)
def test_spreadsheet_cells_neutralise_formulas_and_read_back(cell: object, written: object) -> None:
    assert spreadsheet_cell(cell) == written
    if isinstance(cell, str):
        assert spreadsheet_text(str(written)) == cell


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_gradebook_and_moodle_csv_neutralise_ids_and_keep_negative_scores() -> None:
    reports = [bounded_report(make_report(s)) for s in FORMULA_IDS]
    reports.append(replace(make_report("zoe"), score=-1.5))  # a penalty below zero
    for text in (gradebook_csv(reports), moodle_csv(reports, "=TP")):
        rows = csv_rows(text)
        assert rows[0][1] == "'=TP" or rows[0][0] == "student"
        for row in rows[1:]:
            assert not row[0].startswith(("=", "+", "-", "@", "\t", "\r")), row
        students = {spreadsheet_text(row[0]): row[1] for row in rows[1:]}
        assert set(students) == {*FORMULA_IDS, "zoe"}
        assert float(students["zoe"]) == -1.5


def test_quiz_gradebook_neutralises_student_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("mini.yaml").write_text(
        "id: mini\ntitle: Mini\nquestions:\n  - id: q1\n    kind: single\n    text: Oui ?\n"
        "    options:\n      - {text: Oui, correct: true}\n      - {text: Non}\n",
        encoding="utf-8",
    )
    Path("r.csv").write_text('student,q1\n"=HYPERLINK(""x"")",a\n-2+3,b\n', encoding="utf-8")
    result = CliRunner().invoke(quiz, ["score", "mini.yaml", "r.csv", "--out", "o"])
    assert result.exit_code in (0, 1), result.output
    rows = csv_rows(Path("o/gradebook.csv").read_text(encoding="utf-8"))
    assert sorted(row[0] for row in rows[1:]) == ["'-2+3", '\'=HYPERLINK("x")']
