"""Dask scaling: one class graded by `grader grade --scheduler` on LocalClusters of 1, 2, 4 workers.

    python benchmarks/bench_dask.py [-n 100] [--workers 1 2 4]

Each cluster is a real dask.distributed LocalCluster on this machine: a scheduler and worker
processes (one thread each) over TCP on 127.0.0.1. The class is the one of bench_throughput.py
(the bundled examples copied to student001..). Prints the wall time per cluster size, the
notebooks per minute and the speed-up over one worker. On a 2-core machine, more than 2 workers
cannot go faster: the figures show the overhead of the distribution itself.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from distributed import LocalCluster

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]
from bench_throughput import ASSIGNMENT, ROOT, make_class  # noqa: E402


def grade_on(scheduler: str, submissions: list[Path], out: Path) -> tuple[float, int]:
    command = [sys.executable, "-m", "grader", "grade", str(ASSIGNMENT), *map(str, submissions)]
    command += ["--out", str(out), "--sandbox", "bwrap", "--seed", "1", "--scheduler", scheduler]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if completed.returncode not in (0, 1):
        raise SystemExit(f"grader failed ({completed.returncode}):\n{completed.stderr[-3000:]}")
    return wall, len(list((out / "results").glob("*.json")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=100, help="submissions in the class")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    submissions = make_class(args.n, work / "class")
    walls: dict[int, float] = {}
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = f"{ROOT}:{env_path}" if env_path else str(ROOT)  # for the workers
    for workers in args.workers:
        with LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            protocol="tcp",
            host="127.0.0.1",
            dashboard_address=":0",
        ) as cluster:
            wall, graded = grade_on(cluster.scheduler_address, submissions, work / f"out{workers}")
        walls[workers] = wall
        speed_up = walls[args.workers[0]] / wall
        print(
            f"{workers} worker(s): {wall:6.1f} s for {graded} submissions, "
            f"{graded / wall * 60:5.1f} notebooks/min, speed-up {speed_up:.2f}x",
            flush=True,
        )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
