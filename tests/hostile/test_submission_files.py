"""Submissions whose file system lies (issue 16, point 2): links, hard links, FIFOs, devices,
loops, odd names and sizes past the budgets. grader, as root, follows and reads none of them:
the cells cannot reach their targets, the report names what was skipped, and the class is
graded as if they were not there.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import stat
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell
from pydantic import ValidationError

from grader import messages
from grader.assignment.spec import LimitsSpec
from grader.distributed import SubmissionFiles, grade_shipped
from grader.grading import GradeOptions, find_submission
from grader.quiz.answers import read_answers
from grader.results import SkipReason
from grader.sandbox.limits import Limits
from grader.submission import (
    MAX_DEPTH,
    MAX_PATH_BYTES,
    MAX_SKIPPED,
    copy_submission,
    display_path,
    read_notebook,
    submission_hash,
)
from tests.conftest import (
    EXAMPLES,
    TP_ATTENTION,
    gradebook_rows,
    grader_command,
    in_bwrap_boxes,
    write_notebook,
)
from tests.test_quiz_answers import QUIZ

AS_ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="the attack is grader running as root")
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
    os.mknod(folder / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))  # root only: /dev/null
    with contextlib.chdir(folder), socket.socket(socket.AF_UNIX) as listening:
        listening.bind("sock")  # relative: a socket's path is short
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


@AS_ROOT
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
        ("null", "device", "fichier ignoré : périphérique"),
        ("sock", "socket", "fichier ignoré : socket"),
        ("hard", "hardlink", "fichier ignoré : lien physique"),
    }
    copied = {str(p.relative_to(workdir)) for p in workdir.rglob("*") if not p.is_dir()}
    assert copied == {"data.txt", *ODD_NAMES}  # the notebook is run, not copied
    assert all(not p.is_symlink() for p in workdir.rglob("*"))


def test_every_reason_has_its_words_in_both_languages() -> None:
    assert all(f"skip.{reason}" in messages.catalogue() for reason in SkipReason)


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


def test_the_copy_stops_after_naming_so_many_skipped_files(tmp_path: Path) -> None:
    student = tmp_path / "eve"
    student.mkdir()
    for index in range(MAX_SKIPPED + 50):
        (student / f"link-{index:03}").symlink_to("/etc/passwd")
    (student / "z.txt").write_text("after the links")
    workdir = tmp_path / "work"
    workdir.mkdir()

    skipped = copy_submission(student, workdir, Limits())

    assert len(skipped) == MAX_SKIPPED + 1
    assert skipped[-1].message == (
        "fichier ignoré : trop de fichiers ignorés, la copie s'arrête ici"
    )
    assert os.listdir(workdir) == []


@pytest.mark.parametrize(
    ("name_length", "copied"),
    [(20, MAX_DEPTH), (200, MAX_PATH_BYTES // 201)],
    ids=["deep", "past-path-max"],
)
def test_a_tree_too_deep_or_too_long_is_cut_with_a_message(
    name_length: int, copied: int, tmp_path: Path
) -> None:
    student = tmp_path / "eve"
    student.mkdir()
    fd = os.open(student, os.O_RDONLY)
    for _ in range(MAX_DEPTH + 5):  # 37 levels: with long names, longer than PATH_MAX
        os.mkdir("d" * name_length, dir_fd=fd)
        inner = os.open("d" * name_length, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
    os.close(fd)
    workdir = tmp_path / "work"
    workdir.mkdir()

    skipped = copy_submission(student, workdir, Limits())

    assert [(s.reason.value, s.message) for s in skipped] == [
        ("depth", "fichier ignoré : dossier trop profond ou chemin trop long")
    ]
    assert skipped[0].path.startswith("d" * name_length + "/")
    assert copied_depth(workdir, "d" * name_length) == copied


def copied_depth(folder: Path, name: str) -> int:
    """How many folders `name` are nested in `folder` (walked by descriptor: no path limit)."""
    depth, fd = 0, os.open(folder, os.O_RDONLY)
    try:
        while name in os.listdir(fd):
            inner = os.open(name, os.O_RDONLY, dir_fd=fd)
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


@AS_ROOT
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


# --- the whole pipeline: grader grade, as root, in bwrap boxes ---------------------------------

# The last cell of the folder submission: what it can read of each trap, raised as its error.
PROBE_CELL = f"""
import os
seen = []
for name in ["extra/x", "extra/checks.py", "a/b/c/bob.ipynb", "zero", "fifo", "loop", "hard",
             "null", "sock", "zz-big.bin"]:
    try:
        with open(name, "rb") as handle:
            seen.append(name + "=read:" + handle.read(64).decode("latin-1"))
    except OSError as error:
        seen.append(name + "=" + type(error).__name__)
copied = [open(name).read() == "ok" for name in ["data.txt", *{ODD_NAMES!r}]]
raise RuntimeError("|".join(seen) + "|copied=" + str(copied))
"""


def notebook_plus(path: Path, *cells: Any) -> Path:
    notebook = nbformat.read(EXAMPLES / "alice.ipynb", as_version=4)
    notebook.cells += list(cells)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def hostile_class(subs: Path, assignment: Path, secret: Path) -> list[Path]:
    """Normal students (alice, bob, an odd file name) beside every hostile kind of submission."""
    solution = assignment / "tp-attention.ipynb"
    normal = [shutil.copyfile(EXAMPLES / "alice.ipynb", subs / "alice.ipynb")]
    normal.append(notebook_plus(subs / "bob" / "bob.ipynb"))
    normal.append(shutil.copyfile(EXAMPLES / "alice.ipynb", subs / "-élève =x\n.ipynb"))
    linker = subs / "linker"
    folder_with_traps(linker, secret, subs / "bob", assignment)
    (linker / "zz-big.bin").write_bytes(b"z" * 2 * 1024**2)  # past submission_size: 1 MiB
    notebook_plus(linker / "linker.ipynb", new_code_cell(PROBE_CELL))
    (subs / "cheater.ipynb").symlink_to(solution)
    (subs / "cheater-dir").mkdir()
    (subs / "cheater-dir" / "tp.ipynb").symlink_to(solution)
    (subs / "zero.ipynb").symlink_to("/dev/zero")
    (subs / "loop.ipynb").symlink_to("loop.ipynb")
    os.mkfifo(subs / "pipe.ipynb")
    os.link(shutil.copyfile(solution, secret.parent / "solution-copy.ipynb"), subs / "hard.ipynb")
    notebook_plus(subs / "fat.ipynb", new_markdown_cell("x" * 300_000))  # notebook_size: 200 KiB
    (subs / "usr").symlink_to("/usr")  # protecting its target would refuse every box
    return [*normal, linker, *(subs / name for name in HOSTILE_NOTEBOOKS)]


HOSTILE_NOTEBOOKS = {  # the submissions that are not run, and why
    "cheater.ipynb": "le notebook cheater.ipynb n'a pas été lu : lien symbolique",
    "cheater-dir": "trouvé : aucun) ; tp.ipynb ignoré : lien symbolique",
    "zero.ipynb": "le notebook zero.ipynb n'a pas été lu : lien symbolique",
    "loop.ipynb": "le notebook loop.ipynb n'a pas été lu : lien symbolique",
    "pipe.ipynb": "le notebook pipe.ipynb n'a pas été lu : tube nommé",
    "hard.ipynb": "le notebook hard.ipynb n'a pas été lu : lien physique",
    "fat.ipynb": "le notebook fat.ipynb dépasse la taille limite de 200 Kio",
    "usr": "le notebook usr n'a pas été lu : lien symbolique",
}


def results(out: Path) -> dict[str, dict[str, Any]]:
    """Every graded student's results JSON, by the student id it holds."""
    found = [json.loads(path.read_text()) for path in (out / "results").glob("*.json")]
    return {result["student"]: result for result in found}


@in_bwrap_boxes
@pytest.mark.slow
@AS_ROOT
@pytest.mark.parametrize("kernels", [[], ["--fresh-kernels"]], ids=["warm", "fresh"])
def test_a_hostile_file_system_reaches_nothing_and_leaves_the_class_alone(
    kernels: list[str], tmp_path: Path, assignment_copy: Path
) -> None:
    spec = assignment_copy / "assignment.yaml"
    budgets = "limits:\n  submission_size: 1 MiB\n  notebook_size: 200 KiB\n"
    spec.write_text(  # time enough for a cold `import torch` on a busy machine: not under test
        spec.read_text()
        .replace("limits:\n", budgets)
        .replace("cell_timeout: 15", "cell_timeout: 60")
        .replace("notebook_timeout: 120", "notebook_timeout: 300")
    )
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    paths = hostile_class(subs, assignment_copy, root_secret(tmp_path))
    command = ["grade", str(assignment_copy), "--out", str(out), "-j", "2", *kernels, "--"]

    graded = grader_command(*command, *map(str, paths))

    assert graded.returncode <= 1, graded.stderr
    for name in ("gradebook.csv", "summary.html", "moodle.csv", "gradebook.json"):
        assert (out / name).is_file(), name
    assert len(gradebook_rows(out)) == len(paths)
    graded_results = results(out)
    odd = next(student for student in graded_results if "élève" in student)
    for student in ("alice", "bob", odd, "linker"):
        assert graded_results[student]["score"] == 20, graded_results[student]
    for name, problem in HOSTILE_NOTEBOOKS.items():
        result = graded_results[find_submission(subs / name).student]
        assert result["execution"]["status"] == "startup-failed", name
        assert problem in result["execution"]["message"], name
        assert result["score"] == 0, name

    execution = graded_results["linker"]["execution"]
    reached = execution["cells"][-1]["error"]
    for name in ("extra/x", "extra/checks.py", "a/b/c/bob.ipynb", "zero", "fifo", "loop", "null"):
        assert f"{name}=FileNotFoundError" in reached, reached
    for name in ("sock", "hard", "zz-big.bin"):
        assert f"{name}=FileNotFoundError" in reached, reached
    assert f"copied={[True] * (1 + len(ODD_NAMES))}" in reached, reached
    skipped = {(f["path"], f["reason"]) for f in execution["skipped_files"]}
    assert skipped == {
        ("a/b/c", "symlink"),
        ("extra/checks.py", "symlink"),
        ("extra/x", "symlink"),
        ("fifo", "fifo"),
        ("hard", "hardlink"),
        ("loop", "symlink"),
        ("null", "device"),
        ("sock", "socket"),
        ("zero", "symlink"),
        ("zz-big.bin", "budget"),
    }
    report = (out / "reports" / "linker.html").read_text()
    assert "<code>extra/x</code> — fichier ignoré : lien symbolique" in report
    assert "<code>zz-big.bin</code> — fichier ignoré : budget de taille dépassé" in report
    shadow = Path("/etc/shadow").read_text().splitlines()[0]
    everything = "".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file())
    assert "TOPSECRET" not in everything and shadow not in everything

    again = grader_command(*command, *map(str, paths))  # every hash is stable: nothing to grade

    assert again.returncode <= 1, again.stderr
    assert "0 submission(s) to grade" in again.stdout, again.stdout
    english = grader_command("report", str(out), "--lang", "en")  # from the gradebook's JSON
    assert english.returncode == 0, english.stderr
    report = (out / "reports" / "linker.html").read_text()
    assert "<code>extra/x</code> — file skipped: symbolic link" in report
    assert "<code>fifo</code> — file skipped: named pipe" in report


def test_grader_check_never_reads_a_fifo_to_find_its_assignment(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.ipynb")

    checked = grader_command("check", str(tmp_path / "pipe.ipynb"))

    assert checked.returncode == 2, checked.stderr
    assert "n'a pas été lu : tube nommé" in checked.stderr + checked.stdout


def test_quiz_answers_are_read_from_regular_notebooks_only(tmp_path: Path) -> None:
    folder = tmp_path / "rendus"
    write_notebook(folder / "alice.ipynb", "reponses = {'q2': 'oui'}")
    (folder / "copie.ipynb").symlink_to(folder / "alice.ipynb")  # another student's answers
    os.mkfifo(folder / "pipe.ipynb")

    batch = read_answers(QUIZ, [folder])

    assert [sheet.student for sheet in batch.sheets] == ["alice"]
    assert sorted(str(problem) for problem in batch.problems) == [
        f"{folder / 'copie.ipynb'}: cannot read the notebook: "
        "le notebook copie.ipynb n'a pas été lu : lien symbolique",
        f"{folder / 'pipe.ipynb'}: cannot read the notebook: "
        "le notebook pipe.ipynb n'a pas été lu : tube nommé",
    ]


@AS_ROOT
def test_a_folder_shipped_to_a_dask_worker_leaves_its_traps_behind_and_names_them(
    tmp_path: Path,
) -> None:
    student = tmp_path / "subs" / "eve"
    folder_with_traps(student, root_secret(tmp_path), tmp_path, tmp_path)
    (student / "tp.ipynb").symlink_to(EXAMPLES / "alice.ipynb")  # no notebook: no kernel

    shipped = SubmissionFiles.read(find_submission(student), Limits())
    report = grade_shipped(str(TP_ATTENTION), shipped, GradeOptions(seed=1, fresh_kernels=True))

    assert sorted(name for name, _ in shipped.files) == sorted(["data.txt", *ODD_NAMES])
    named = {(s.path, s.reason.value) for s in report.execution.skipped_files}
    assert {("extra/x", "symlink"), ("tp.ipynb", "symlink"), ("hard", "hardlink")} <= named
    assert report.execution.message == (
        "le dossier doit contenir exactement un notebook (trouvé : aucun)"
    )
    assert report.submission_hash == submission_hash(student, Limits())


def test_grader_check_of_a_linked_notebook_says_it_was_not_read(tmp_path: Path) -> None:
    (tmp_path / "tp.ipynb").symlink_to(TP_ATTENTION / "tp-attention.ipynb")  # the solution

    checked = grader_command("check", str(tmp_path / "tp.ipynb"), "--assignment", str(TP_ATTENTION))

    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "  ! le notebook tp.ipynb n'a pas été lu : lien symbolique\n" in checked.stdout
    assert "  ! tp.ipynb : fichier ignoré : lien symbolique\n" in checked.stdout
    assert "Note indicative : 0 / 10,43 sur les vérifications publiques ;" in checked.stdout
