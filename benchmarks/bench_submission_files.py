"""What reading a submission costs the grader (grader/submission.py).

    PYTHONPATH=. python benchmarks/bench_submission_files.py [--notebook-mb 168] [--files 2000]

Prints the grader process's peak memory when a submission is a huge notebook (nbformat.read of
the whole file, as grading did, against read_notebook under the default notebook_size), then
the time to copy and to hash a folder of many small files (shutil.copytree against
copy_submission, medians of 3).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from grader.sandbox.limits import Limits
from grader.submission import copy_submission, submission_hash

ROOT = Path(__file__).resolve().parent.parent

# VmHWM, not ru_maxrss: a child's ru_maxrss starts from its parent's before exec.
PEAK = """
import sys
from pathlib import Path
{read}
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
print(int(status["VmHWM"].split()[0]) // 1024)
"""
READERS = {
    "nbformat.read (before)": (
        "import warnings, nbformat\nwarnings.simplefilter('ignore')\n"
        "nbformat.read(sys.argv[1], as_version=4)\nimport grader.submission"
    ),
    "read_notebook (20 MiB budget)": (
        "from grader.sandbox.limits import Limits\nfrom grader.submission import read_notebook\n"
        "assert read_notebook(Path(sys.argv[1]), Limits()).content is None\nimport nbformat"
    ),
}


def huge_notebook(path: Path, megabytes: int) -> None:
    """Code cells whose stream outputs add up to `megabytes` MB of text."""
    output = {"output_type": "stream", "name": "stdout", "text": "x" * 100_000 + "\n"}
    cell = {"cell_type": "code", "metadata": {}, "source": "print()", "execution_count": 1}
    cells = [{**cell, "outputs": [output] * 10} for _ in range(megabytes)]
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}
    path.write_text(json.dumps(notebook))


def peak_mb(read: str, notebook: Path) -> int:
    """The peak resident memory (MiB) of a Python process that imports both modules and reads."""
    code = PEAK.format(read=read)
    done = subprocess.run(
        [sys.executable, "-c", code, str(notebook)], capture_output=True, text=True, cwd=ROOT
    )
    return int(done.stdout.strip().splitlines()[-1])


def many_files(folder: Path, count: int) -> None:
    for index in range(count):
        sub = folder / f"d{index % 20:02}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"f{index:05}.txt").write_bytes(b"x" * 2000)


def medians_s(runs: dict[str, Callable[[Path], object]], scratch: Path) -> dict[str, float]:
    """Median wall time of each run over 3 rounds, the runs interleaved in each round (the
    machine is shared: its load drifts), each into an empty folder of its own."""
    times: dict[str, list[float]] = {label: [] for label in runs}
    for attempt in range(3):
        for label, run in runs.items():
            target = scratch / f"run-{attempt}-{len(times[label])}-{hash(label)}"
            target.mkdir()
            started = time.perf_counter()
            run(target)
            times[label].append(time.perf_counter() - started)
            shutil.rmtree(target)
    return {label: statistics.median(values) for label, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook-mb", type=int, default=168)
    parser.add_argument("--files", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-submission-") as tmp:
        base = Path(tmp)
        notebook = base / "huge.ipynb"
        huge_notebook(notebook, args.notebook_mb)
        size = notebook.stat().st_size / 1e6
        for label, read in READERS.items():
            print(f"{size:.0f} MB notebook, {label}: peak {peak_mb(read, notebook)} MiB")
        student = base / "student"
        many_files(student, args.files)
        scratch = base / "scratch"
        scratch.mkdir()
        runs: dict[str, Callable[[Path], object]] = {
            "shutil.copytree (before)": lambda t: shutil.copytree(student, t, dirs_exist_ok=True),
            "copy_submission": lambda t: copy_submission(student, t, Limits()),
            "submission_hash": lambda _: submission_hash(student, Limits()),
        }
        for label, seconds in medians_s(runs, scratch).items():
            print(f"{args.files} files of 2 kB, {label}: {seconds:.3f} s")


if __name__ == "__main__":
    main()
