"""Moodle's "Download all submissions": hostile zips refused before anything is written outside
the scratch folder, the grading worksheet as roster, and a class graded from the zip whose
moodle.csv names the participants by username."""

from __future__ import annotations

import csv
import io
import stat
import tempfile
import zipfile
from pathlib import Path

import nbformat
import pytest

from grader.errors import ConfigError, GraderError
from grader.moodle import (
    expand_archives,
    extract_archive,
    is_moodle_archive,
    moodle_student,
    parse_folder,
    read_roster,
)
from grader.sandbox.limits import Limits
from tests.conftest import grader_command, in_bwrap_boxes, make_notebook, write_course

LIMITS = Limits(submission_bytes=1024**2)
ADA = "Lovelace Ada_12345_assignsubmission_file_"
EMILE = "Émile Zola_678_assignsubmission_file_"
WORKSHEET = (
    "Identifier,Full name,Username,Email address,Status,Grade\n"
    "Participant 12345,Ada Lovelace,alovelace,ada@example.org,Submitted,\n"
    "Participant 678,Émile Zola,ezola,emile@example.org,Submitted,\n"
)


def zip_of(path: Path, members: dict[str, bytes], links: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/shadow")
    return path


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        ("/etc/cron.d/x", "absolute"),
        (f"{ADA}/../../evil.py", "leaves its folder"),
        (f"{ADA}\\..\\evil.py", "Windows path"),
        (f"{ADA}/" + "d/" * 40 + "x.py", "too deep"),
    ],
)
def test_a_member_outside_its_folder_refuses_the_archive(
    tmp_path: Path, member: str, reason: str
) -> None:
    archive = zip_of(tmp_path / "export.zip", {f"{ADA}/tp.ipynb": b"{}", member: b"x"})
    into = tmp_path / "scratch" / "into"
    into.mkdir(parents=True)
    with pytest.raises(GraderError, match=reason) as refused:
        extract_archive(archive, into, LIMITS)
    assert "export.zip: member" in str(refused.value)
    assert sorted(p.name for p in tmp_path.rglob("evil.py")) == []
    assert not Path("/etc/cron.d/x").exists()


def test_a_link_in_the_archive_refuses_it(tmp_path: Path) -> None:
    archive = zip_of(tmp_path / "export.zip", {f"{ADA}/tp.ipynb": b"{}"}, links=(f"{ADA}/s",))
    (tmp_path / "into").mkdir()
    with pytest.raises(GraderError, match="is a link or a special file"):
        extract_archive(archive, tmp_path / "into", LIMITS)
    assert not (tmp_path / "into" / ADA / "s").exists()


def test_a_repeated_member_refuses_the_archive(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive, pytest.warns(UserWarning, match="Duplicate"):
        archive.writestr(f"{ADA}/tp.ipynb", b"{}")
        archive.writestr(f"{ADA}/tp.ipynb", b"{second}")
    (tmp_path / "into").mkdir()
    with pytest.raises(GraderError, match="appears twice"):
        extract_archive(path, tmp_path / "into", LIMITS)


def test_a_zip_bomb_is_cut_at_the_submission_size(tmp_path: Path) -> None:
    # 64 MiB of zeros compress to 64 KiB: the bytes are counted as they come out.
    archive = zip_of(tmp_path / "export.zip", {f"{ADA}/zeros.bin": bytes(64 * 1024**2)})
    (tmp_path / "into").mkdir()
    with pytest.raises(GraderError, match=r"zeros.bin' is larger than 1048576 bytes"):
        extract_archive(archive, tmp_path / "into", LIMITS)
    assert (tmp_path / "into" / ADA / "zeros.bin").stat().st_size <= 1024**2


def test_too_many_members_refuse_the_archive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("grader.moodle.MAX_MEMBERS", 10)
    members = {f"{ADA}/f{i}.txt": b"x" for i in range(11)}
    (tmp_path / "into").mkdir()
    with pytest.raises(GraderError, match="more than 10 members"):
        extract_archive(zip_of(tmp_path / "export.zip", members), tmp_path / "into", LIMITS)
    assert list((tmp_path / "into").iterdir()) == []


def test_a_moodle_zip_among_the_submissions_is_recognised_and_extracted(tmp_path: Path) -> None:
    members = {f"{ADA}/tp.ipynb": b"{}", f"{EMILE}/tp.ipynb": b"{}", "Zola_9_onlinetext_/x": b""}
    export = zip_of(tmp_path / "export.zip", {k: v for k, v in members.items() if "9" not in k})
    other = zip_of(tmp_path / "other.zip", {"notes/readme.txt": b"hello"})
    assert is_moodle_archive(export) and not is_moodle_archive(other)
    (tmp_path / "scratch").mkdir()
    lone = tmp_path / "lone.ipynb"
    paths = expand_archives([lone, export, other], [], tmp_path / "scratch", LIMITS)
    assert [p.name for p in paths] == [lone.name, ADA, EMILE, other.name]
    assert (paths[1] / "tp.ipynb").read_bytes() == b"{}"


def test_folder_names_and_student_ids(tmp_path: Path) -> None:
    folder = parse_folder(EMILE)
    assert folder is not None and (folder.name, folder.participant) == ("Émile Zola", "678")
    assert parse_folder("alice") is None
    assert parse_folder("Zola_678_assignsubmission_onlinetext_") is not None
    roster = {"678": "ezola"}
    assert moodle_student(tmp_path / EMILE, roster) == "ezola"
    assert moodle_student(tmp_path / EMILE, None) == "Émile Zola_678"
    assert moodle_student(tmp_path / ADA, roster) == "Lovelace Ada_12345"  # not in the roster
    assert moodle_student(tmp_path / "Zola_678_assignsubmission_onlinetext_", roster) is None


def test_the_grading_worksheet_is_read_in_english_and_in_french(tmp_path: Path) -> None:
    english = tmp_path / "en.csv"
    english.write_text(WORKSHEET, encoding="utf-8-sig")
    assert read_roster(english) == {"12345": "alovelace", "678": "ezola"}
    french = tmp_path / "fr.csv"
    french.write_text(
        "Identifiant,Nom complet,Adresse de courriel,Statut\n"
        "Participant 678,Émile Zola,emile@example.org,Remis\n"
    )
    assert read_roster(french) == {"678": "emile@example.org"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Name,Grade\nAda,3\n", r"bad.csv:1: not a Moodle grading worksheet.*found 'Name'"),
        (WORKSHEET + "Ada,Ada,ada,,,\n", r"bad.csv:4: Identifier: expected a 'Identifier'"),
        (WORKSHEET + "Participant 9,Bob,,,,\n", r"bad.csv:4: Username: expected a 'Username'"),
    ],
)
def test_a_bad_roster_names_its_file_line_and_field(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "bad.csv").write_text(text)
    with pytest.raises(ConfigError, match=message):
        read_roster(tmp_path / "bad.csv")


CHECKS = """\
from grader.checks import check, expect


@check("moodle.valeur")
def value(nb, rng):
    expect.equal(nb.get("x"), 1, "x")
"""


@pytest.mark.slow
@in_bwrap_boxes
def test_a_moodle_zip_with_a_roster_gives_a_moodle_csv_of_usernames(tmp_path: Path) -> None:
    folder = write_course(
        tmp_path,
        "tp-moodle",
        "title: TP Moodle\n",
        CHECKS,
        make_notebook(),
        "  - {id: x, title: X, points: 2, checks: [moodle.valeur]}\n",
    )
    right, wrong = (nbformat.writes(make_notebook(s)).encode() for s in ("x = 1", "x = 2"))
    members = {f"{ADA}/tp.ipynb": right, f"{EMILE}/TP Zola.ipynb": wrong}
    archive = zip_of(tmp_path / "export.zip", members)
    roster = tmp_path / "worksheet.csv"
    roster.write_text(WORKSHEET, encoding="utf-8-sig")
    out = tmp_path / "out"

    done = grader_command(
        "grade", str(folder), "--from-moodle", str(archive), "--roster", str(roster),
        "--out", str(out),
    )  # fmt: skip

    assert done.returncode == 1, done.stdout + done.stderr  # ezola's check fails
    rows = list(csv.reader(io.StringIO((out / "moodle.csv").read_text())))
    assert [row[:2] for row in rows[1:]] == [["alovelace", "2.00"], ["ezola", "0.00"]]
    assert sorted(p.name for p in (out / "results").iterdir()) == ["alovelace.json", "ezola.json"]
    assert not list(Path(tempfile.gettempdir()).glob("grader-moodle-*"))  # removed at the end
