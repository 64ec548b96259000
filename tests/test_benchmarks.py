"""The benchmarks time grader's own functions by name: a renamed function must fail here, not
on the day someone measures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_overhead_finds_every_phase_it_times() -> None:
    instrument = "from benchmarks import bench_overhead; bench_overhead.instrument()"
    done = subprocess.run(
        [sys.executable, "-c", instrument], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
