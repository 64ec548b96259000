"""Time of a rerun after a rubric-only change, against the first grading of the same class.

Grades tp-attention's example class (a private copy of the assignment and its rubric) with
real kernels, edits the rubric (one criterion's points), then times `grader grade` again
(rescored from the stored check outcomes, no kernel) and `grader report`. Prints the figures;
asserts nothing.

    PYTHONPATH=. python benchmarks/bench_rescore.py [-j 2]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "submissions" / "tp-attention"


def timed(*arguments: str) -> tuple[float, str]:
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "grader", *arguments], capture_output=True, text=True, cwd=ROOT
    )
    return time.perf_counter() - started, completed.stdout + completed.stderr


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-j", "--jobs", default="2")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        course = Path(folder)
        assignment = course / "assignments" / "tp-attention"
        shutil.copytree(ROOT / "assignments" / "tp-attention", assignment)
        (course / "rubrics").mkdir()
        rubric = course / "rubrics" / "tp-attention.yaml"
        shutil.copyfile(ROOT / "rubrics" / "tp-attention.yaml", rubric)
        notebooks = sorted(str(p) for p in EXAMPLES.glob("*.ipynb"))
        out = str(course / "out")
        grade = ("grade", str(assignment), *notebooks, "--out", out, "-j", args.jobs)
        first, _ = timed(*grade)
        rubric.write_text(rubric.read_text().replace("points: 8", "points: 10"))
        again, output = timed(*grade)
        rubric.write_text(rubric.read_text().replace("points: 10", "points: 6"))
        reported, _ = timed("report", out)
    line = next((x for x in output.splitlines() if "since the last run" in x), "(no line)")
    print(f"students: {len(notebooks)}")
    print(f"first grading (kernels): {first:.1f} s")
    print(f"grade after a rubric edit (rescored, no kernel): {again:.1f} s")
    print(f"  {line}")
    print(f"grader report after another rubric edit: {reported:.1f} s")


if __name__ == "__main__":
    main()
