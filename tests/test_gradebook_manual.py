"""Manual grading through the CLI: export the material, fill in marks, import them; re-render."""

from __future__ import annotations

import base64
import csv
import json
import sqlite3
from pathlib import Path

import nbformat
import pytest
import yaml
from click.testing import CliRunner
from nbformat.v4 import new_output

from grader.cli import main
from grader.gradebook.store import Gradebook
from tests.report_builders import make_report
from tests.test_batch_resume import make_class, make_course

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n-a-plot-").decode()


@pytest.fixture
def graded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A graded folder: alice and bruno stored in a real gradebook, their notebooks on disk."""
    monkeypatch.chdir(tmp_path)
    assignment = make_course(tmp_path / "course")
    alice, bruno = make_class(tmp_path / "class")[:2]
    book = nbformat.read(alice, as_version=4)
    book.cells[1].outputs = [new_output("display_data", data={"image/png": PNG})]
    nbformat.write(book, alice)
    out = tmp_path / "out"
    gradebook = Gradebook(out / "gradebook.sqlite")
    run = gradebook.start_run("tp-mini", 1, "none", "TP mini : sommes et poids")
    gradebook.record(run, make_report("alice"), alice)
    gradebook.record(run, make_report("bruno", 4.0), bruno)
    gradebook.close()
    return assignment, out


def test_export_then_import_marks_in_yaml(graded: tuple[Path, Path]) -> None:
    assignment, out = graded
    runner = CliRunner()
    exported = runner.invoke(
        main, ["manual", "export", str(assignment), "marks.yaml", "--out", str(out)]
    )
    assert exported.exit_code == 0, exported.output
    entries = yaml.safe_load(Path("marks.yaml").read_text())
    assert [(e["student"], e["criterion"], e["points"]) for e in entries] == [
        ("alice", "redaction", None),
        ("bruno", "redaction", None),
    ]
    assert (
        entries[0]["text"] == "Mon analyse (s01) : la somme vaut 6.0."
    )  # the template's text left out
    assert Path(entries[0]["plots"][0]).read_bytes() == base64.b64decode(PNG)

    entries[0].update(points=3.5, comment="Analyse claire.")
    Path("marks.yaml").write_text(yaml.safe_dump(entries, allow_unicode=True))
    imported = runner.invoke(
        main, ["manual", "import", str(assignment), "marks.yaml", "--out", str(out)]
    )
    assert imported.exit_code == 0, imported.output
    assert "1 student(s) marked" in imported.output

    alice = json.loads((out / "results" / "alice.json").read_text())
    redaction = next(c for c in alice["criteria"] if c["id"] == "redaction")
    assert (redaction["points"], redaction["marked"], alice["score"]) == (3.5, True, 7.5)
    html = (out / "reports" / "alice.html").read_text()
    assert "Analyse claire." in html and "7,5 / 14" in html
    with sqlite3.connect(out / "gradebook.sqlite") as db:  # the history keeps the first grading
        assert [r[0] for r in db.execute("SELECT score FROM results WHERE student='alice'")] == [
            4.0,
            7.5,
        ]
    bruno = (out / "reports" / "bruno.html").read_text()
    assert "à noter par l&#39;enseignant·e" in bruno


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("alice,redaction,4,cinq,", "marks.csv:2: [0].points: expected a number, got 'cinq'"),
        (
            "alice,redaction,4,9,",
            "marks.csv:2: alice.redaction: points must be between 0 and 4, got 9",
        ),
        (
            "alice,attention,6,3,",
            "marks.csv:2: alice.attention: not a manual criterion of the rubric",
        ),
        ("zoe,redaction,4,3,", "marks.csv:2: zoe.redaction: no graded submission for this student"),
        (
            "alice,(adjustment),,-15,",
            "marks.csv:2: alice.(adjustment): an adjustment must be between -14 and 14, got -15",
        ),
    ],
)
def test_bad_marks_name_file_line_and_field(
    graded: tuple[Path, Path], row: str, message: str
) -> None:
    assignment, out = graded
    Path("marks.csv").write_text(f"student,criterion,max_points,points,comment\n{row}\n")
    result = CliRunner().invoke(
        main, ["manual", "import", str(assignment), "marks.csv", "--out", str(out)]
    )
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == f"grader: {message}"


def test_csv_sheet_round_trip(graded: tuple[Path, Path]) -> None:
    assignment, out = graded
    runner = CliRunner()
    assert (
        runner.invoke(
            main, ["manual", "export", str(assignment), "marks.csv", "--out", str(out)]
        ).exit_code
        == 0
    )
    rows = list(csv.DictReader(Path("marks.csv").read_text().splitlines()))
    rows[1]["points"] = "2,5"  # a French decimal comma is accepted
    with Path("marks.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert (
        runner.invoke(
            main, ["manual", "import", str(assignment), "marks.csv", "--out", str(out)]
        ).exit_code
        == 0
    )
    assert json.loads((out / "results" / "bruno.json").read_text())["score"] == 10.5


def test_report_rerenders_from_the_gradebook_in_english(graded: tuple[Path, Path]) -> None:
    _, out = graded
    result = CliRunner().invoke(main, ["report", str(out), "--lang", "en", "--junit", "junit.xml"])
    assert result.exit_code == 0, result.output
    assert "2 report(s) written" in result.output
    assert '<html lang="en">' in (out / "reports" / "alice.html").read_text()
    assert "TP mini : sommes et poids — class summary" in (out / "summary.html").read_text()
    for name in ("gradebook.csv", "gradebook.json", "moodle.csv", "gradescope/bruno.json"):
        assert (out / name).is_file()
    assert Path("junit.xml").read_text().count("<testsuite ") == 2


def test_report_without_a_gradebook_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert "no gradebook here (grade into this folder first)" in result.output


def test_csv_sheet_neutralises_a_formula_id_and_reads_it_back(graded: tuple[Path, Path]) -> None:
    assignment, out = graded
    gradebook = Gradebook(out / "gradebook.sqlite")
    gradebook.record(gradebook.start_run("tp-mini", 1, "none"), make_report("=1+1"), None)
    gradebook.close()
    runner = CliRunner()
    export = ["manual", "export", str(assignment), "marks.csv", "--out", str(out)]
    assert runner.invoke(main, export).exit_code == 0
    with Path("marks.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["student"] for row in rows] == ["'=1+1", "alice", "bruno"]
    rows[0]["points"] = "3"
    with Path("marks.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    imported = ["manual", "import", str(assignment), "marks.csv", "--out", str(out)]
    assert runner.invoke(main, imported).exit_code == 0
    assert json.loads((out / "results" / "=1+1.json").read_text())["score"] == 7.0
