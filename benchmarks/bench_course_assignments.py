"""Wall time of grading each course assignment's bundled example class through the CLI.

    PYTHONPATH=. python benchmarks/bench_course_assignments.py [--jobs 2] [--only tp-attention]

Prints, per assignment, the submissions graded, the wall time, and the slowest notebook's own
execution time; `make demo` is the tp-attention line (target: under a minute on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = ("tp-attention", "tp1-generation", "mini-projet")


def grade_examples(assignment: str, jobs: int) -> tuple[int, float, float]:
    folder = ROOT / "examples" / "submissions" / assignment
    # a notebook each, or a folder each (the mini-projet's pairs: notebook and PDF report)
    submissions = sorted(p for p in folder.iterdir() if p.suffix == ".ipynb" or p.is_dir())
    with tempfile.TemporaryDirectory(prefix="bench-course-") as out:
        command = [
            sys.executable,
            "-m",
            "grader",
            "grade",
            str(ROOT / "assignments" / assignment),
            *map(str, submissions),
            "--out",
            out,
            "-j",
            str(jobs),
        ]
        started = time.perf_counter()
        completed = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        elapsed = time.perf_counter() - started
        if completed.returncode not in (0, 1):
            raise RuntimeError(f"{assignment}: exit {completed.returncode}\n{completed.stderr}")
        durations = [
            json.loads(path.read_text())["execution"]["duration_s"]
            for path in Path(out, "results").glob("*.json")
        ]
    return len(submissions), elapsed, max(durations, default=0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", choices=ASSIGNMENTS)
    args = parser.parse_args()
    for assignment in [args.only] if args.only else ASSIGNMENTS:
        count, elapsed, slowest = grade_examples(assignment, args.jobs)
        print(
            f"{assignment:16} {count:2} submissions  {elapsed:6.1f} s wall"
            f"  (slowest notebook {slowest:.1f} s, -j {args.jobs})"
        )


if __name__ == "__main__":
    main()
