"""Time of `grader --help` and of each command's `--help`, beside `python -c pass`.

Each line is the median wall time of N runs of `python -m grader ... --help` from the
repository's root (this checkout's grader), and the same minus the interpreter's own start
(`python -c pass`, measured the same way). Prints the figures; asserts nothing.

    python benchmarks/bench_cli_help.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = (
    (),
    ("grade",),
    ("check",),
    ("validate",),
    ("release",),
    ("report",),
    ("manual",),
    ("quiz",),
    ("quiz", "score"),
    ("bench",),
    ("bench", "score"),
    ("mirror",),
    ("doctor",),
)


def median_seconds(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    floor = median_seconds([sys.executable, "-c", "pass"], args.runs)
    print(f"python -c pass: {floor:.3f} s (median of {args.runs})")
    for command in COMMANDS:
        seconds = median_seconds([sys.executable, "-m", "grader", *command, "--help"], args.runs)
        label = " ".join(("grader", *command, "--help"))
        print(f"{label:<30} {seconds:.3f} s  ({seconds - floor:+.3f} s over python -c pass)")


if __name__ == "__main__":
    main()
