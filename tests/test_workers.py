"""A local batch's worker processes: forked from the warm parent when the kernels are (else
started afresh), with the grader's environment; a worker that dies is replaced, its submission
graded again, and a second death is recorded as a bug without losing the other results."""

from __future__ import annotations

import ast
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.cli_common import Exit
from tests.conftest import (
    ROOT,
    grade_notebooks,
    in_bwrap_boxes,
    make_notebook,
    write_course,
    write_notebook,
)

LOG = "GRADER_TEST_WORKERS_LOG"

CHECKS = """\
import os
import signal
import sys
import tempfile
from pathlib import Path

from grader.checks import check, expect


@check("travailleur.processus")
def worker_process(nb, rng):
    parent = Path(f"/proc/{os.getppid()}/cmdline").read_bytes().decode().split("\\0")
    facts = {
        "name": Path("/proc/self/comm").read_text().strip(),
        "parent": "warm_parent" if any("warm_parent.py" in a for a in parent) else parent[1:3],
        "preloaded": "colorsys" in sys.modules,  # grader itself never imports it
        "tmp": tempfile.gettempdir(),
        "mark": os.environ.get("GRADER_TEST_WORKERS_MARK"),
    }
    with open(os.environ["GRADER_TEST_WORKERS_LOG"], "a") as log:
        log.write(f"{nb.get('nom')} {os.getpid()} {facts}\\n")
    grader_modules = "import sys\\nsorted(m for m in sys.modules if m.split('.')[0] == 'grader')"
    expect.equal(nb.run(grader_modules), [], "modules de grader dans le noyau")


@check("travailleur.chute")
def worker_dies(nb, rng):
    falls = Path(os.environ["GRADER_TEST_WORKERS_LOG"]).with_name(nb.get("nom") + ".chutes")
    fallen = int(falls.read_text()) if falls.exists() else 0
    if fallen < nb.get("chutes"):  # this student's grading kills its worker this many times
        falls.write_text(str(fallen + 1))
        os.kill(os.getpid(), signal.SIGKILL)
"""

CRITERIA = "  - {id: travailleurs, title: Travailleurs, points: 1, checks: ['travailleur.*']}\n"

# student -> how many times grading them kills the worker: once is retried, twice is a bug
FALLS = {"ada": 0, "blaise": 0, "carl": 1, "dora": 2}


def workers_course(root: Path, preload: str = "colorsys") -> Path:
    """assignments/tp-travailleurs below `root`, whose checks log their worker process."""
    spec = f'title: "TP travailleurs"\npreload: [{preload}]\n'
    template = make_notebook("nom = chutes = None")
    return write_course(root, "tp-travailleurs", spec, CHECKS, template, CRITERIA)


@in_bwrap_boxes
@pytest.mark.parametrize(
    ("kernels", "jobs", "preload"),
    [
        ("warm", 2, "colorsys"),
        ("fresh", 2, "colorsys"),
        # transformers finds its temporary folder as it is imported, in the kernels' environment
        ("warm", 1, "colorsys, transformers.models.bert.modeling_bert"),
    ],
)
def test_workers_grade_with_the_graders_environment_and_survive_a_death(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kernels: str, jobs: int, preload: str
) -> None:
    """With a warm parent, one job too has its worker (forked: grader imports nothing twice)."""
    folder = workers_course(tmp_path, preload)
    students = [
        write_notebook(tmp_path / "class" / f"{name}.ipynb", f"nom = {name!r}\nchutes = {falls}")
        for name, falls in FALLS.items()
    ]
    log, out = tmp_path / "log", tmp_path / "out"
    monkeypatch.setenv(LOG, str(log))
    monkeypatch.setenv("GRADER_TEST_WORKERS_MARK", "du correcteur")
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    options = ["-j", str(jobs), "--sandbox", "bwrap"]
    options += ["--fresh-kernels"] if kernels == "fresh" else []

    graded = grade_notebooks(folder, students, out, *options, status=Exit.BUG)

    assert "grading 'dora' hit a bug in grader" in graded.done.stderr
    assert "the worker grading dora died 2 times (exit status -9)" in graded.done.stderr
    scores = {row["student"]: float(row["score"]) for row in graded.rows}
    assert scores == {"ada": 1.0, "blaise": 1.0, "carl": 1.0}  # carl's second worker graded him
    lines = log.read_text().splitlines()
    assert sorted(line.split()[0] for line in lines) == [
        "ada",
        "blaise",
        "carl",
        "carl",
        "dora",
        "dora",
    ]
    workers = {line.split()[1] for line in lines}
    assert len(workers) >= 2 + jobs  # those at the start, a replacement per death but dora's last
    for line in lines:
        facts = ast.literal_eval(line.split(" ", 2)[2])
        assert facts["preloaded"] and facts["mark"] == "du correcteur", line  # grader's env
        assert facts["tmp"] == str(tmp_path / "tmp"), line
        if kernels == "warm":  # forked from the kernels' parent, named for `ps`
            assert (facts["name"], facts["parent"]) == ("grader-worker", "warm_parent"), line
        else:  # started by the grader
            assert facts["parent"] == ["-m", "grader"], line


@in_bwrap_boxes
@pytest.mark.parametrize("kernels", ["warm", "fresh"])
def test_ctrl_c_ends_the_workers_and_keeps_what_was_graded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kernels: str
) -> None:
    folder = workers_course(tmp_path)
    students = [
        write_notebook(
            tmp_path / "class" / f"eleve{index}.ipynb",
            f"nom = 'eleve{index}'\nchutes = 0",
            "import time\ntime.sleep(1.5)",
        )
        for index in range(8)
    ]
    log, out = tmp_path / "log", tmp_path / "out"
    monkeypatch.setenv(LOG, str(log))
    command = [sys.executable, "-m", "grader", "grade", str(folder), *map(str, students)]
    command += ["--out", str(out), "-j", "2", "--sandbox", "bwrap"]
    command += ["--fresh-kernels"] if kernels == "fresh" else []
    batch = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while len(list((out / "results").glob("*.json"))) < 2 or not log.exists():
        assert batch.poll() is None, batch.stderr.read() if batch.stderr else ""
        assert time.monotonic() < deadline, "the batch graded nothing in 120 s"
        time.sleep(0.05)
    batch.send_signal(signal.SIGINT)  # what Ctrl-C sends the grader (its workers have their own)
    assert batch.wait(timeout=30) == Exit.INTERRUPTED
    assert "grader: interrupted; a batch keeps every result it stored" in (
        batch.stderr.read() if batch.stderr else ""
    )
    graded = {path.stem for path in (out / "results").glob("*.json")}
    assert 2 <= len(graded) < len(students), "the interrupt should land mid-batch"
    with sqlite3.connect(out / "gradebook.sqlite") as db:  # committed before its files
        assert {row[0] for row in db.execute("SELECT student FROM results")} >= graded
    workers = {int(line.split()[1]) for line in log.read_text().splitlines()}
    assert workers and not [pid for pid in workers if Path(f"/proc/{pid}").exists()], (
        "a worker outlived the grader"
    )
