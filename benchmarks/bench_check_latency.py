"""What `grader check` costs a student beyond running their notebook, and what `verifier()` costs.

For each example submission of one assignment, in one run, interleaved, medians of N:

- **alone**: a fresh interpreter executes the notebook with nbclient in a plain kernel (what
  "Run all" costs, interpreter and kernel start included);
- **grader check**: `python -m grader check` of the same notebook beside the released bundle
  (the sandbox `--sandbox` picks, the public checks, the lines printed);
- **verifier()**: the same notebook with the released loading cell and a closing `verifier()`
  cell, executed as in **alone**; the figure is the two self-check cells' own time.

Prints the figures; asserts nothing.

    python benchmarks/bench_check_latency.py [--assignment tp-perplexite] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.assignment.load import load_assignment  # noqa: E402
from grader.assignment.release import release  # noqa: E402

# Run by a fresh interpreter: executes the notebook, prints the self-check cells' own seconds.
EXECUTE = """
import sys, nbformat
from datetime import datetime
from nbclient import NotebookClient
notebook = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(notebook, timeout=600, kernel_name="python3", allow_errors=True).execute()
def seconds(cell):
    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    parse = lambda t: datetime.fromisoformat(t.replace("Z", "+00:00"))
    return (parse(end) - parse(start)).total_seconds()
marked = [c for c in notebook.cells if c.metadata.get("grader", {}).get("self_check")]
print(sum(seconds(c) for c in marked))
"""


def timed(argv: list[str], cwd: Path) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")
    return time.perf_counter() - started, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assignment", default="tp-perplexite")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    assignment = load_assignment(ROOT / "assignments" / args.assignment)
    examples = sorted((ROOT / "examples" / "submissions" / args.assignment).glob("*.ipynb"))
    scratch = Path(tempfile.mkdtemp(prefix="bench-check-"))
    bundle = release(assignment, scratch)
    loading = nbformat.read(bundle / Path(assignment.spec.notebook).name, as_version=4).cells[0]
    print(f"{args.assignment}, {len(examples)} examples, medians of {args.runs} runs")
    print(f"{'student':<10} {'alone':>8} {'check':>8} {'over':>8} {'verifier()':>11}")
    overs = []
    for example in examples:
        plain = bundle / f"{example.stem}.ipynb"
        plain.write_bytes(example.read_bytes())
        checked = nbformat.read(example, as_version=4)
        checked.cells = [loading, *checked.cells, new_code_cell("verifier()")]
        with_cells = scratch / f"{example.stem}-verifier.ipynb"
        nbformat.write(checked, with_cells)
        alone, check, self_check = [], [], []
        for _ in range(args.runs):
            alone.append(timed([sys.executable, "-c", EXECUTE, str(plain)], bundle)[0])
            check.append(timed([sys.executable, "-m", "grader", "check", plain.name], bundle)[0])
            output = timed([sys.executable, "-c", EXECUTE, str(with_cells)], scratch)[1]
            self_check.append(float(output.strip().splitlines()[-1]))
        a, c, v = (statistics.median(x) for x in (alone, check, self_check))
        overs.append(c - a)
        print(f"{example.stem:<10} {a:>7.2f}s {c:>7.2f}s {c - a:>+7.2f}s {v:>10.2f}s")
    print(
        f"grader check over executing alone: median {statistics.median(overs):+.2f} s, "
        f"max {max(overs):+.2f} s ({datetime.now():%Y-%m-%d})"
    )


if __name__ == "__main__":
    main()
