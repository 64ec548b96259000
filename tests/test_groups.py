"""Pairs and groups: the roster read by `grader grade --groups` and `grader similarity --groups`,
then a class graded once by the real CLI with a roster (real kernels), its per-member rows, a
group's manual marks and one member's adjustment, and the marking page naming the group once.

The class: binome-1 hands in `binome-1.ipynb` (right: 4 points), chloe hands in `chloe.ipynb` for
binome-2 (wrong: 0), binome_3 through Moodle's group submission folder, the group `=SUM(1)` (a
formula) under its name; zoe is in no group, binome-4 hands in nothing. The roster is a French spreadsheet's: cp1252, `;`, `groupe;étudiant`.
"""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell

from grader.errors import ConfigError
from grader.gradebook.groups import MAX_MEMBERS, MAX_ROSTER_BYTES, NAME_LIMIT, read_groups
from tests.conftest import ROOT, gradebook_rows, grader_command
from tests.test_batch_resume import grade_command
from tests.test_marking import (
    Page,
    add_item,
    browser,
    course,
    course_root,
    current_marks,
    serving,
    student_notebook,
)
from tests.test_report_browser import CHROMIUM, DevTools

__all__ = ["browser"]  # the fixture, shared with tests/test_marking.py

ROSTER = (
    "groupe;étudiant\r\nbinome-1;alice\r\nbinome-1;bruno\r\nbinome-2;chloe\r\nbinome-2;david\r\n"
    "binome_3;eve\r\nbinome_3;farid\r\n=SUM(1);hélène\r\n=SUM(1);ivan\r\n"
    "binome-4;gaspard\r\nbinome-4;hugo\r\n"
)
MEMBERS = ["alice", "bruno", "chloe", "david", "eve", "farid", "hélène", "ivan"]
MOODLE = "binome 3_42_assignsubmission_file_"  # Moodle writes a group's _ as a space


def roster_file(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "groups.csv"
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("roster", "message"),
    [
        (b"team,name\na,b\n", "groups.csv:1: expected the columns group and student"),
        (b"group,student\ng1,alba\ng1,\n", "groups.csv:3: student: empty"),
        (
            b"group,student\ng1,alba\ng2,boris\n\ng2,alba\n",
            "groups.csv:5: student: 'alba' is already in group 'g1' (line 2)",
        ),
        (
            b"group,student\ng1,alba\nalba,boris\n",
            "groups.csv:3: group: 'alba' is also a student of group 'g1' (line 2)",
        ),
        (b"group,student\n../../etc,alba\n", "groups.csv:2: group: '../../etc' cannot be a file"),
        (
            b"group;student\ng1;" + b"x" * 201 + b"\n",
            f"groups.csv:2: student: longer than {NAME_LIMIT}",
        ),
        (
            b"group,student\n" + b"".join(b"g,s%d\n" % i for i in range(MAX_MEMBERS + 1)),
            f"groups.csv:{MAX_MEMBERS + 2}: group: more than {MAX_MEMBERS} students in one group",
        ),
        (b"group,student\n" + b"g,s\n" * (MAX_ROSTER_BYTES // 4), "larger than 5242880 bytes"),
    ],
    ids=["columns", "empty", "two-groups", "group-is-a-student", "path", "huge", "many", "big"],
)
def test_a_bad_roster_names_its_file_line_and_field(
    tmp_path: Path, roster: bytes, message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        read_groups(roster_file(tmp_path, roster))
    assert message in str(error.value)


def test_a_french_spreadsheet_roster_with_hostile_names(tmp_path: Path) -> None:
    hostile = (
        'groupe;étudiant\n\'=HYPERLINK("x");al\x1bba\nbin\u00f4me;\u00e9lodie\nbinôme;éLodie\n'
    )
    roster = read_groups(roster_file(tmp_path, hostile.encode("cp1252")))
    assert roster.notices == [f"{tmp_path / 'groups.csv'}: not UTF-8, read as cp1252 or Latin-1"]
    assert list(roster.members) == ['=HYPERLINK("x")', "binôme"]  # '= read back as written
    (escaped,) = roster.members['=HYPERLINK("x")']
    assert "\x1b" not in escaped and escaped.startswith("al")  # a control character, shown
    assert roster.members["binôme"] == ("élodie", "éLodie")
    assert roster.lines == {'=HYPERLINK("x")': 2, "binôme": 3}
    assert roster.group_of("élodie") == "binôme" and roster.group_of("zoe") is None
    surrogate = "group,student\r\ng\udcff,ana\r\n".encode("utf-8", "surrogateescape")
    assert list(read_groups(roster_file(tmp_path, surrogate)).members) == ["gÿ"]  # cp1252


def test_a_roster_gives_every_pair_of_a_group(tmp_path: Path) -> None:
    text = "\ufeffgroup,student\ng1,alba\ng1,boris\ng1,cyril\ng2,dalia\ng1,alba\n"
    pairs = read_groups(roster_file(tmp_path, text.encode("utf-8"))).pairs()
    assert pairs == {
        frozenset(p) for p in (("alba", "boris"), ("alba", "cyril"), ("boris", "cyril"))
    }


SHARED = """
def moyenne_ponderee(valeurs, poids):
    total_poids = sum(poids)
    cumul = 0.0
    for valeur, p in zip(valeurs, poids):
        cumul += valeur * p
    return cumul / total_poids if total_poids else float("nan")
"""


def write_class(folder: Path) -> list[Path]:
    """binome-1 and zoe share a function: similarity compares them."""
    course(folder / "course")
    paths = [student_notebook(folder, name) for name in ("binome-1", "chloe", "formula", "zoe")]
    for path in paths:
        book = nbformat.read(path, as_version=4)
        if path.stem == "chloe":
            book.cells[1].source = "total = 5.0"
        elif path.stem != "formula":
            book.cells.append(new_code_cell(SHARED))
        nbformat.write(book, path)
    paths[2] = paths[2].rename(folder / "class" / "=SUM(1).ipynb")
    (folder / "class" / MOODLE).mkdir()
    moodle = student_notebook(folder, "eve").rename(folder / "class" / MOODLE / "rendu.ipynb")
    (folder / "groups.csv").write_bytes(ROSTER.encode("cp1252"))
    worksheet = (
        "Identifier,Username\nParticipant 42,zoe\nParticipant 43,jules\nParticipant 44,ivan\n"
    )
    # Moodle's worksheet, the class list; participant 42 shares the group's number 42.
    (folder / "worksheet.csv").write_text(worksheet, "utf-8")
    return [*paths, moodle.parent]


@pytest.fixture(scope="module")
def graded(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The class graded once by the real CLI with its roster; tests use copies of `out`."""
    folder = tmp_path_factory.mktemp("groups")
    paths = write_class(folder)
    worksheet = str(folder / "worksheet.csv")
    command = grade_command(
        course_root(folder), paths, folder / "out", "--roster", worksheet, "--groups"
    )
    done = subprocess.run(
        [*command, str(folder / "groups.csv")], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 1, done.stdout + done.stderr  # chloe's check fails
    return folder, done


@pytest.fixture
def out(graded: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path) -> Path:
    shutil.copytree(graded[0] / "out", tmp_path / "out")
    return tmp_path / "out"


def moodle(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "moodle.csv", newline="", encoding="utf-8") as handle:
        return {row["Username"]: row for row in csv.DictReader(handle)}


@pytest.mark.kernel
@pytest.mark.slow
def test_a_group_is_graded_once_and_every_member_gets_a_row(
    graded: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    folder, done = graded
    out = folder / "out"
    rows = {row["student"]: row for row in gradebook_rows(out)}
    assert {s: (float(r["score"]), r["group"]) for s, r in rows.items()} == {
        "alice": (4.0, "binome-1"), "bruno": (4.0, "binome-1"),
        "chloe": (0.0, "binome-2"), "david": (0.0, "binome-2"),
        "eve": (4.0, "binome_3"), "farid": (4.0, "binome_3"),
        "hélène": (4.0, "'=SUM(1)"), "ivan": (4.0, "'=SUM(1)"),  # no formula runs
        "zoe": (4.0, ""),
    }  # fmt: skip
    assert {s: float(r["TP rédaction"]) for s, r in moodle(out).items()} == {
        s: float(r["score"]) for s, r in rows.items()
    }
    assert "groupe binome-2 : chloe, david" in moodle(out)["david"]["TP rédaction (feedback)"]
    assert "graded 5 notebook(s)" in done.stdout  # once per group
    for member in MEMBERS:
        scope = json.loads((out / "gradescope" / f"{member}.json").read_text("utf-8"))
        assert scope["score"] == float(rows[member]["score"])
    results = json.loads((out / "gradebook.json").read_text("utf-8"))["results"]
    assert {r["student"]: r["group"] for r in results}["ivan"] == {
        "name": "=SUM(1)",
        "members": ["hélène", "ivan"],
    }
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        stored = dict(db.execute("SELECT student, submission FROM results").fetchall())
    assert stored["alice"] == stored["bruno"] == str(folder / "class" / "binome-1.ipynb")
    assert stored["david"] == str(folder / "class" / "chloe.ipynb")
    assert stored["farid"] == str(folder / "class" / MOODLE)
    bruno = (out / "reports" / "bruno.html").read_text("utf-8")
    assert "Groupe binome-1" in bruno and "rendu en groupe avec alice, bruno" in bruno
    roster = folder / "groups.csv"
    assert f"{roster}: not UTF-8, read as cp1252 or Latin-1" in done.stderr
    assert f"'zoe' is neither a group nor a student of {roster}: graded as itself" in done.stderr
    assert f"{roster}:10: group: 'binome-4' has no submission" in done.stderr
    assert "hugo" not in rows
    worksheet = folder / "worksheet.csv"
    assert [line for line in done.stderr.splitlines() if "in no group of" in line] == [
        f"grader: {worksheet}: '{name}' is in no group of {roster}" for name in ("jules", "zoe")
    ]


@pytest.mark.parametrize(
    ("roster", "names", "message"),
    [
        (
            "group,student\nb1,alice\nb2,alice\n",
            ["b1"],
            "groups.csv:3: student: 'alice' is already in group 'b1' (line 2)",
        ),
        (
            "group,student\nb1,alice\nb1,bruno\n",
            ["b1", "bruno"],
            "already handed in",
        ),
    ],
    ids=["student-in-two-groups", "two-hand-ins-of-one-group"],
)
def test_a_roster_the_class_contradicts_grades_nothing(
    tmp_path: Path, roster: str, names: list[str], message: str
) -> None:
    course(tmp_path / "course")
    paths = [student_notebook(tmp_path, name) for name in names]
    (tmp_path / "groups.csv").write_text(roster, "utf-8")
    command = grade_command(course_root(tmp_path), paths, tmp_path / "out", "--groups")
    done = subprocess.run(
        [*command, str(tmp_path / "groups.csv")], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert not (tmp_path / "out" / "gradebook.sqlite").exists()


@pytest.mark.kernel
@pytest.mark.slow
def test_a_group_mark_is_every_members_and_an_adjustment_one_members(
    graded: tuple[Path, subprocess.CompletedProcess[str]], out: Path
) -> None:
    folder = graded[0]
    sheet = out.parent / "marks.yaml"
    assignment = str(course_root(folder))
    exported = grader_command("manual", "export", assignment, str(sheet), "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    entries = yaml.safe_load(sheet.read_text("utf-8"))
    keys = [(e["student"], e["criterion"]) for e in entries]
    assert keys[4:8] == [
        ("binome-1", "analyse"), ("binome-1", "figure"),
        ("alice", "(adjustment)"), ("bruno", "(adjustment)"),
    ]  # fmt: skip
    assert ("alice", "analyse") not in keys and ("zoe", "(adjustment)") not in keys
    for entry in entries:
        if entry["student"] == "binome-1":
            entry.update(points=3 if entry["criterion"] == "analyse" else 2, comment="Clair.")
        if entry["student"] == "bruno":
            entry.update(points=-1.5, comment="Absent à la soutenance.")
    sheet.write_text(yaml.safe_dump(entries, allow_unicode=True), "utf-8")
    imported = grader_command("manual", "import", assignment, str(sheet), "--out", str(out))
    assert imported.returncode == 0, imported.stderr

    rows = {row["student"]: row for row in gradebook_rows(out)}
    assert (rows["alice"]["score"], rows["alice"]["adjustment"]) == ("9.0", "")
    assert (rows["bruno"]["score"], rows["bruno"]["adjustment"]) == ("7.5", "-1.5")
    assert rows["bruno"]["analyse"] == "3.0" and rows["chloe"]["score"] == "0.0"
    feedback = moodle(out)["bruno"]["TP rédaction (feedback)"]
    assert float(moodle(out)["bruno"]["TP rédaction"]) == 7.5
    assert "ajustement individuel : -1,5 (Absent à la soutenance.)" in feedback
    bruno = (out / "reports" / "bruno.html").read_text("utf-8")
    assert "Ajustement individuel" in bruno and "Absent à la soutenance." in bruno
    assert "Ajustement individuel" not in (out / "reports" / "alice.html").read_text("utf-8")
    english = grader_command("report", str(out), "--lang", "en")
    assert english.returncode == 0, english.stderr
    bruno = (out / "reports" / "bruno.html").read_text("utf-8")
    assert "Group binome-1" in bruno and "handed in as a group with alice, bruno" in bruno
    assert "Individual adjustment" in bruno and "-1.5 point(s) on your grade alone" in bruno

    # carol joins binome-1: its notebook is graded again (nothing else is), for her too, with
    # the group's marks; bruno keeps his adjustment.
    roster = out.parent / "groups.csv"
    roster.write_text(ROSTER + "binome-1;carol\r\n", "utf-8")
    paths = [folder / "class" / name for name in ("binome-1.ipynb", "zoe.ipynb")]
    regrade = subprocess.run(
        [*grade_command(course_root(folder), paths, out), "--groups", str(roster)],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert regrade.returncode == 0, regrade.stderr
    assert "1 graded again: the group's members changed (1)" in regrade.stdout
    again = {row["student"]: row for row in gradebook_rows(out)}
    assert [again[s]["score"] for s in ("alice", "bruno", "carol")] == ["9.0", "7.5", "9.0"]


@pytest.mark.kernel
@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_the_marking_page_marks_a_group_once(out: Path, browser: DevTools) -> None:
    with serving(out) as server:
        page = Page(browser, server.url)
        assert page.eval("S.data.students") == [
            "=SUM(1) (hélène, ivan)",
            "binome-1 (alice, bruno)",
            "binome-2 (chloe, david)",
            "binome_3 (eve, farid)",
            "zoe",
        ]
        add_item(page, "4", "Analyse juste.")
        page.key("1")
        server.stop()
    marks = current_marks(out)
    assert marks[("hélène", "analyse")] == marks[("ivan", "analyse")] == (4, True, "Analyse juste.")
    assert marks[("alice", "analyse")] == (0, False, None)
    assert {s: r["TP rédaction"] for s, r in moodle(out).items() if s in ("hélène", "ivan")} == {
        "hélène": "8.00",
        "ivan": "8.00",
    }


@pytest.mark.kernel
@pytest.mark.slow
def test_a_groups_submission_is_compared_once_under_its_name(
    graded: tuple[Path, subprocess.CompletedProcess[str]], out: Path
) -> None:
    assignment = str(course_root(graded[0]))
    compared = grader_command("similarity", str(out), "--assignment", assignment)
    assert compared.returncode == 0, compared.stderr
    with open(out / "similarity.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    names = {row[column] for row in rows for column in ("student_1", "student_2")}
    assert names == {"binome-1", "zoe"}  # not alice and bruno, who handed in one notebook
