"""Submissions whose file system lies (issue 16, point 2): links, hard links, FIFOs, devices,
loops, odd names and sizes past the budgets. grader, as root, follows and reads none of them:
the cells cannot reach their targets, the report names what was skipped, and the class is
graded as if they were not there.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from pydantic import ValidationError

from grader.assignment.spec import LimitsSpec
from grader.sandbox.limits import Limits
from grader.submission import (
    MAX_DEPTH,
    copy_submission,
    display_path,
    read_notebook,
    submission_hash,
)
from tests.conftest import EXAMPLES

NON_UTF8 = os.fsdecode(b"odd/\xff\xfe")
LONG = "L" * 255
ODD_NAMES = ["-rf", "=cmd", "new\nline", "ctrl\x01", NON_UTF8, LONG]


def folder_with_traps(folder: Path, outside: Path, other_student: Path, assignment: Path) -> None:
    """A student's folder holding every trap of the issue, and regular files with odd names."""
    (folder / "extra").mkdir(parents=True)
    (folder / "a" / "b").mkdir(parents=True)
    (folder / "odd").mkdir()
    os.symlink("/etc/shadow", folder / "extra" / "x")
    os.symlink(assignment / "checks.py", folder / "extra" / "checks.py")
    os.symlink(other_student, folder / "a" / "b" / "c")
    os.symlink("/dev/zero", folder / "zero")
    os.symlink("loop", folder / "loop")
    os.mkfifo(folder / "fifo")
    os.link(outside, folder / "hard")
    (folder / "data.txt").write_text("ok")
    for name in ODD_NAMES:
        (folder / name).write_bytes(b"ok")


def root_secret(tmp_path: Path) -> Path:
    """A root-owned file outside every submission (grader runs as root here)."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    return secret


# --- the walk itself, without kernels ---------------------------------------------------------


def test_a_copy_skips_links_hard_links_and_special_files_and_keeps_odd_names(
    tmp_path: Path,
) -> None:
    student = tmp_path / "subs" / "eve"
    shutil.copytree(EXAMPLES.parent, tmp_path / "other")
    folder_with_traps(student, root_secret(tmp_path), tmp_path / "other", tmp_path / "other")
    shutil.copyfile(EXAMPLES / "alice.ipynb", student / "eve.ipynb")
    workdir = tmp_path / "work"
    workdir.mkdir()

    skipped = copy_submission(student, workdir, Limits())

    assert {(s.path, s.reason.value, s.message) for s in skipped} == {
        ("extra/x", "symlink", "fichier ignoré : lien symbolique"),
        ("extra/checks.py", "symlink", "fichier ignoré : lien symbolique"),
        ("a/b/c", "symlink", "fichier ignoré : lien symbolique"),
        ("zero", "symlink", "fichier ignoré : lien symbolique"),
        ("loop", "symlink", "fichier ignoré : lien symbolique"),
        ("fifo", "fifo", "fichier ignoré : tube nommé"),
        ("hard", "hardlink", "fichier ignoré : lien physique"),
    }
    copied = {str(p.relative_to(workdir)) for p in workdir.rglob("*") if not p.is_dir()}
    assert copied == {"data.txt", *ODD_NAMES}  # the notebook is run, not copied
    assert all(not p.is_symlink() for p in workdir.rglob("*"))


def test_odd_names_are_shown_escaped() -> None:
    assert display_path(("new\nline",)) == "new\\x0aline"
    assert display_path(tuple(NON_UTF8.split("/"))) == "odd/\\xff\\xfe"
    assert len(display_path((LONG, LONG))) == 300


def test_the_copy_stops_at_the_submission_budget_and_names_the_file(tmp_path: Path) -> None:
    student = tmp_path / "eve"
    student.mkdir()
    (student / "a.bin").write_bytes(b"a" * 300_000)
    (student / "b.bin").write_bytes(b"b" * 300_000)
    (student / "c.txt").write_text("c")
    workdir = tmp_path / "work"
    workdir.mkdir()

    skipped = copy_submission(student, workdir, Limits(submission_bytes=500_000))

    assert [(s.path, s.reason.value) for s in skipped] == [("b.bin", "budget")]
    assert sorted(os.listdir(workdir)) == ["a.bin"]


def test_a_folder_over_its_budget_still_hands_in_its_notebook(tmp_path: Path) -> None:
    student = tmp_path / "eve"
    student.mkdir()
    (student / "a.bin").write_bytes(b"a" * 300_000)
    shutil.copyfile(EXAMPLES / "alice.ipynb", student / "zz.ipynb")

    found = read_notebook(student, Limits(submission_bytes=100_000))

    assert found.content == (student / "zz.ipynb").read_bytes() and found.skipped == ()


def test_a_tree_deeper_than_path_max_is_cut_with_a_message(tmp_path: Path) -> None:
    student = tmp_path / "eve"
    student.mkdir()
    fd = os.open(student, os.O_RDONLY)
    for _ in range(MAX_DEPTH + 5):  # 37 x 200 characters: longer than PATH_MAX
        os.mkdir("d" * 200, dir_fd=fd)
        inner = os.open("d" * 200, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
    os.close(fd)
    workdir = tmp_path / "work"
    workdir.mkdir()

    skipped = copy_submission(student, workdir, Limits())

    assert [s.reason.value for s in skipped] == ["depth"]
    assert skipped[0].path.startswith("d" * 200 + "/") and len(skipped[0].path) == 300
    assert copied_depth(workdir) == MAX_DEPTH


def copied_depth(folder: Path) -> int:
    """How many `d…d` folders are nested in `folder` (walked by descriptor: no path limit)."""
    depth, fd = 0, os.open(folder, os.O_RDONLY)
    try:
        while "d" * 200 in os.listdir(fd):
            inner = os.open("d" * 200, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd, depth = inner, depth + 1
    finally:
        os.close(fd)
    return depth


def test_a_crowded_folder_is_cut_where_the_budget_ends(tmp_path: Path) -> None:
    student = tmp_path / "eve"
    (student / "crowd").mkdir(parents=True)
    for index in range(40):
        (student / "crowd" / f"{index:02}").write_text("x")
    workdir = tmp_path / "work"
    workdir.mkdir()

    skipped = copy_submission(student, workdir, Limits(submission_bytes=30 * 4096))

    assert [(s.path, s.reason.value) for s in skipped] == [("crowd", "budget")]
    assert os.listdir(workdir / "crowd") == []


def test_the_hash_never_follows_links_nor_reads_special_files_and_stays_stable(
    tmp_path: Path,
) -> None:
    student = tmp_path / "subs" / "eve"
    folder_with_traps(student, root_secret(tmp_path), tmp_path, tmp_path)
    shutil.copyfile(EXAMPLES / "alice.ipynb", student / "eve.ipynb")

    first = submission_hash(student, Limits())

    assert first == submission_hash(student, Limits())
    (tmp_path / "secret.txt").write_text("changed")  # a hard link's target is not read
    os.unlink(student / "hard")
    os.link(tmp_path / "secret.txt", student / "hard")
    assert submission_hash(student, Limits()) == first
    (student / "data.txt").write_text("changed")
    assert submission_hash(student, Limits()) != first


def test_the_hash_of_an_unchanged_notebook_is_the_one_stored_before(tmp_path: Path) -> None:
    notebook = shutil.copyfile(EXAMPLES / "alice.ipynb", tmp_path / "alice.ipynb")
    content = notebook.read_bytes()
    assert (
        submission_hash(notebook, Limits()) == hashlib.sha256(b"alice.ipynb" + content).hexdigest()
    )


def test_the_notebook_must_be_a_regular_file_of_the_submission(tmp_path: Path) -> None:
    solution = tmp_path / "solution.ipynb"
    shutil.copyfile(EXAMPLES / "alice.ipynb", solution)
    (tmp_path / "link.ipynb").symlink_to(solution)
    os.link(solution, tmp_path / "hard.ipynb")
    os.mkfifo(tmp_path / "pipe.ipynb")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "tp.ipynb").symlink_to(solution)

    def problem(name: str, limits: Limits | None = None) -> str | None:
        found = read_notebook(tmp_path / name, limits or Limits())
        assert found.content is None
        return found.problem

    assert problem("link.ipynb") == "le notebook link.ipynb n'a pas été lu : lien symbolique"
    assert problem("hard.ipynb") == "le notebook hard.ipynb n'a pas été lu : lien physique"
    assert problem("pipe.ipynb") == "le notebook pipe.ipynb n'a pas été lu : tube nommé"
    assert problem("folder") == (
        "le dossier doit contenir exactement un notebook (trouvé : aucun) ; "
        "tp.ipynb ignoré : lien symbolique"
    )
    os.unlink(tmp_path / "hard.ipynb")  # one link again
    assert problem("solution.ipynb", Limits(notebook_bytes=1000)) == (
        "le notebook solution.ipynb dépasse la taille limite de 1000 o : "
        "il n'a été ni lu ni exécuté"
    )


def test_the_size_budgets_are_read_from_assignment_yaml() -> None:
    limits = LimitsSpec(submission_size="3 MiB", notebook_size="200 KiB").to_limits()
    assert (limits.submission_bytes, limits.notebook_bytes) == (3 * 1024**2, 200 * 1024)
    assert (Limits().submission_bytes, Limits().notebook_bytes) == (100 * 1024**2, 20 * 1024**2)
    with pytest.raises(ValidationError, match="expected a size"):
        LimitsSpec(notebook_size="big")
