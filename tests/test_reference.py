"""`@reference`: a reference value is computed once per grading run and input, whatever the
number of worker processes, and no kernel sees where the run keeps it."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from pathlib import Path

import pytest

from grader.checks.reference import reference, run_store, using_store
from tests.conftest import (
    grade_notebooks,
    in_bwrap_boxes,
    make_notebook,
    write_course,
    write_notebook,
)

LOG = "GRADER_TEST_REFERENCE_LOG"


@reference
def logged_square(x: int) -> int:
    """Appends one line to $GRADER_TEST_REFERENCE_LOG per computation. Its values stay in this
    process from one test to the next: each test squares numbers of its own."""
    with open(os.environ[LOG], "a") as log:
        log.write(f"{os.getpid()} {x}\n")
    time.sleep(0.3)  # long enough for the other callers to ask while it computes
    return x * x


def computed(log: Path) -> list[str]:
    """The inputs computed, one per computation, in order."""
    return [line.split()[1] for line in log.read_text().splitlines()] if log.exists() else []


def _square_in_store(store: Path, x: int) -> int:
    with using_store(store):
        return logged_square(x)


def test_without_a_store_each_input_is_computed_once_per_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LOG, str(tmp_path / "log"))
    assert [logged_square(x) for x in (4, 4, 5, 4)] == [16, 16, 25, 16]
    assert computed(tmp_path / "log") == ["4", "5"]


def test_threads_of_one_process_compute_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LOG, str(tmp_path / "log"))
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(logged_square(6))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [36] * 4
    assert computed(tmp_path / "log") == ["6"]


def test_processes_sharing_a_store_compute_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LOG, str(tmp_path / "log"))
    with run_store() as store, multiprocessing.get_context("spawn").Pool(3) as pool:
        squares = pool.starmap(_square_in_store, [(store, 7), (store, 7), (store, 7), (store, 8)])
        assert len(list(store.glob("*.pickle"))) == 2
    assert squares == [49, 49, 49, 64]
    assert sorted(computed(tmp_path / "log")) == ["7", "8"]
    assert not store.exists()  # the run's store ends with it


def test_a_store_of_another_machine_leaves_values_in_the_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Dask worker elsewhere gets the run's store path, which does not exist there."""
    monkeypatch.setenv(LOG, str(tmp_path / "log"))
    with using_store(tmp_path / "on-the-grading-machine"):
        assert [logged_square(9), logged_square(9)] == [81, 81]
    assert computed(tmp_path / "log") == ["9"]
    assert not (tmp_path / "on-the-grading-machine").exists()


def test_a_value_that_cannot_be_stored_is_named(tmp_path: Path) -> None:
    @reference
    def model() -> object:
        return lambda: None

    with (
        run_store() as store,
        using_store(store),
        pytest.raises(TypeError, match=r"@reference .*model: its value cannot be pickled"),
    ):
        model()


CHECKS = """\
import os
import time

from grader.checks import check, expect, reference


@reference
def logged_square(x):
    with open(os.environ["GRADER_TEST_REFERENCE_LOG"], "a") as log:
        log.write(f"{os.getpid()} {x}\\n")
    time.sleep(0.3)
    return x * x


@check("carre.trois")
def square_three(nb, rng):
    expect.equal(nb.get("trois"), logged_square(3), "carré de 3")


@check("carre.deux")
def square_two(nb, rng):
    expect.equal(nb.get("deux"), logged_square(2), "carré de 2")


@check("references.invisibles")
def store_out_of_sight(nb, rng):
    expect.equal(nb.get("vus"), [], "dossiers de références visibles depuis le noyau")
"""


def squares_course(root: Path) -> tuple[Path, list[Path]]:
    """assignments/tp-carres, whose checks use a logged @reference, and six students."""
    criteria = (
        "  - {id: carres, title: Carrés, points: 2, checks: ['carre.*']}\n"
        "  - {id: bac, title: Bac à sable, points: 1, checks: ['references.invisibles']}\n"
    )
    template = make_notebook("trois = deux = vus = None")
    folder = write_course(root, "tp-carres", 'title: "TP carrés"\n', CHECKS, template, criteria)
    looks = "import glob\nvus = glob.glob('/tmp/grader-references-*') + glob.glob('/*/grader-ref*')"
    students = []
    for index in range(6):
        right = index % 2 == 0
        cells = [f"trois = {9 if right else 6}\ndeux = 4", looks]
        students.append(write_notebook(root / "class" / f"eleve{index}.ipynb", *cells))
    return folder, students


@in_bwrap_boxes
@pytest.mark.parametrize("where", ["local", "dask"])
def test_a_batch_computes_each_reference_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """Two worker processes: the local batch's, or those of a Dask LocalCluster."""
    folder, students = squares_course(tmp_path)
    log = tmp_path / "log"
    out = tmp_path / "out"
    monkeypatch.setenv(LOG, str(log))  # the worker processes inherit it
    bwrap = ("--sandbox", "bwrap")
    if where == "local":  # the odd students square 3 wrong
        graded = grade_notebooks(folder, students, out, *bwrap, "-j", "2", status=1)
    else:
        distributed = pytest.importorskip("distributed", reason="Dask is not installed")
        with distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=":0"
        ) as cluster:
            address = cluster.scheduler_address
            graded = grade_notebooks(
                folder, students, out, *bwrap, "--scheduler", address, status=1
            )
    scores = {row["student"]: float(row["score"]) for row in graded.rows}
    assert scores == {f"eleve{i}": 3.0 if i % 2 == 0 else 2.0 for i in range(6)}
    assert sorted(computed(log)) == ["2", "3"]  # six students, two workers, two inputs
