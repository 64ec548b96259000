"""Grading on a real Dask cluster: a LocalCluster of worker processes over TCP on loopback."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from grader.distributed import SubmissionFiles
from grader.grading import GradeOptions, Submission, find_submission
from grader.results import GradeReport
from grader.sandbox.limits import Limits
from grader.sandbox.selection import select_backend
from grader.submission import submission_hash
from tests.conftest import EXAMPLES, IN_BWRAP_BOXES, TP_ATTENTION, write_notebook
from tests.test_demo import EXPECTED  # the cluster must give the same scores

distributed = pytest.importorskip("distributed", reason="Dask is not installed")

pytestmark = [*IN_BWRAP_BOXES, pytest.mark.slow]


def test_a_folder_submission_travels_as_bytes_and_keeps_its_hash(tmp_path: Path) -> None:
    folder = tmp_path / "zoe"
    write_notebook(folder / "tp.ipynb", "x = 1")
    (folder / "data").mkdir()
    (folder / "data" / "corpus.txt").write_text("le chat dort\n")
    shipped = SubmissionFiles.read(find_submission(folder), Limits())
    landed = shipped.write(tmp_path / "worker")
    assert landed == Submission("zoe", tmp_path / "worker" / "zoe")
    assert (landed.path / "data" / "corpus.txt").read_text() == "le chat dort\n"
    assert submission_hash(landed.path, Limits()) == submission_hash(folder, Limits())


def test_a_shipped_file_cannot_leave_its_folder(tmp_path: Path) -> None:
    shipped = SubmissionFiles("eve", "eve", True, (("../../evil.py", b"x"),))
    with pytest.raises(Exception, match="leaves its folder"):
        shipped.write(tmp_path / "worker")
    assert not (tmp_path / "evil.py").exists()


def test_a_worker_killed_mid_batch_loses_no_submission(tmp_path: Path, course_mirror: Path) -> None:
    from distributed import Client, LocalCluster

    from grader.distributed import grade_on_cluster

    # Two slow copies keep both workers busy long enough to kill one mid-submission.
    slow = [
        write_notebook(tmp_path / f"lent{i}.ipynb", "import time\ntime.sleep(4)") for i in (1, 2)
    ]
    graded = ["alice", "ines"]
    submissions = [find_submission(EXAMPLES / f"{name}.ipynb") for name in graded]
    submissions += [find_submission(path) for path in slow]
    options = GradeOptions(
        seed=7,
        sandbox=select_backend("bwrap"),
        protected=(TP_ATTENTION.resolve(),),
        mirror=course_mirror,
    )
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=":0",
    ) as cluster:
        with Client(cluster) as watcher:
            pids = watcher.run(os.getpid)
        killed: list[str] = []

        def kill_a_busy_worker() -> None:
            with Client(cluster) as spy:
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    busy = [w for w, keys in spy.processing().items() if keys]
                    if busy:
                        time.sleep(1.0)  # inside the submission's kernel by now
                        os.kill(pids[busy[0]], signal.SIGKILL)
                        killed.append(busy[0])
                        return
                    time.sleep(0.05)

        killer = threading.Thread(target=kill_a_busy_worker)
        killer.start()
        outcomes = list(
            grade_on_cluster(cluster.scheduler_address, TP_ATTENTION, submissions, options)
        )
        killer.join()
    assert killed, "no worker was ever busy"
    reports = [outcome for outcome in outcomes if isinstance(outcome, GradeReport)]
    assert reports == outcomes  # no Crash
    scores = {report.student: report.score for report in reports}
    assert {name: scores[name] for name in graded} == {name: EXPECTED[name] for name in graded}
    assert sorted(scores) == sorted([*graded, "lent1", "lent2"])
    assert all(report.execution.sandbox == "bwrap" for report in reports)


def test_an_unreachable_scheduler_is_a_clean_user_error(tmp_path: Path) -> None:
    from grader.distributed import grade_on_cluster
    from grader.errors import GraderError

    submission = find_submission(EXAMPLES / "alice.ipynb")
    with pytest.raises(GraderError, match="no Dask scheduler answers"):
        grade_on_cluster("tcp://127.0.0.1:9", TP_ATTENTION, [submission], GradeOptions(seed=1), 1)


def test_grade_with_scheduler_fills_the_local_output_tree(tmp_path: Path) -> None:
    import csv
    import subprocess
    import sys

    from distributed import Client, LocalCluster

    from tests.conftest import ROOT

    out = tmp_path / "out"
    names = ["alice", "bruno"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with LocalCluster(
        n_workers=1, threads_per_worker=1, protocol="tcp", host="127.0.0.1", dashboard_address=":0"
    ) as cluster:
        command = [sys.executable, "-m", "grader", "grade", str(TP_ATTENTION)]
        command += [str(EXAMPLES / f"{name}.ipynb") for name in names]
        command += [
            "--out",
            str(out),
            "--sandbox",
            "bwrap",
            "--scheduler",
            cluster.scheduler_address,
        ]
        completed = subprocess.run(
            command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300
        )
        with Client(cluster) as client:
            warm = client.run(_warm_parents)
    assert completed.returncode == 1, completed.stderr  # bruno fails checks
    assert f"on {cluster.scheduler_address}" in completed.stdout
    assert list(warm.values()) == [1]  # the worker forked its kernels from its own warm parent
    with open(out / "gradebook.csv", newline="") as handle:
        scores = {row["student"]: float(row["score"]) for row in csv.DictReader(handle)}
    assert scores == {name: EXPECTED[name] for name in names}
    assert sorted(p.name for p in (out / "reports").iterdir()) == ["alice.html", "bruno.html"]


def test_local_kernels_share_the_cores_without_oversubscribing() -> None:
    from grader.cores import default_jobs, threads_per_kernel

    cores = default_jobs()
    assert threads_per_kernel(1) == cores
    assert threads_per_kernel(cores) == 1
    assert threads_per_kernel(cores * 4) == 1  # never zero
    assert all(jobs * threads_per_kernel(jobs) <= max(cores, jobs) for jobs in range(1, 9))


def _warm_parents() -> int:
    """In a worker: how many warm parents it started."""
    import psutil

    children = psutil.Process().children()
    return sum("warm_parent.py" in " ".join(child.cmdline()) for child in children)
