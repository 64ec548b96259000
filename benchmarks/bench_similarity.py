"""Time and peak memory of `grader similarity` on classes of 100, 200 and 300 notebooks.

The notebooks are built from the tp-attention examples (examples/submissions/tp-attention)
with variations: the student's names renamed, code cells shuffled, and an experiment cell of
their own (random numpy calls); every tenth student hands in a disguised copy of another. Each
size runs in a fresh process (its peak RSS is its own), on a real gradebook; the time is that
of similarity_report (read, fingerprint, compare, write the page and the CSV). Prints the
figures; asserts nothing.

    PYTHONPATH=. python benchmarks/bench_similarity.py [--sizes 100 200 300]
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import nbformat

from grader.assignment.load import load_assignment
from grader.similarity.run import similarity_report
from tests.conftest import EXAMPLES, TP_ATTENTION
from tests.similarity_class import disguised, graded_folder, renamed

CALLS = (
    "mean", "std", "cumsum", "argmax", "argsort", "diff", "sqrt", "abs", "tanh", "log1p",
    "exp", "round", "clip", "median", "var", "prod", "sort", "unique", "ravel", "flip",
    "square", "sign", "floor", "ceil", "nanmax", "nanmin", "ptp", "trace", "diag", "outer",
)  # fmt: skip


def experiment(rng: random.Random) -> str:
    """A few lines of numpy calls, in an order no other student draws."""
    lines = ["x0 = np.arange(12.0).reshape(3, 4)"]
    for step in range(1, 12):
        lines.append(f"x{step} = np.{rng.choice(CALLS)}(x{rng.randrange(step)})")
    lines.append("print(x11)")
    return "\n".join(lines)


def make_class(folder: Path, size: int) -> dict[str, Path]:
    examples = [nbformat.read(p, as_version=4) for p in sorted(EXAMPLES.glob("*.ipynb"))]
    rng = random.Random(size)
    notebooks: dict[str, nbformat.NotebookNode] = {}
    for number in range(size):
        student = f"s{number:04d}"
        if number % 10 == 9:
            notebooks[student] = disguised(notebooks[f"s{number - 5:04d}"], seed=number)
            continue
        notebook = nbformat.from_dict(examples[number % len(examples)])
        names: dict[str, str] = {}
        code = [c for c in notebook.cells if c.cell_type == "code"]
        for cell in code:
            cell.source = renamed(cell.source, names) if rng.random() < 0.5 else cell.source
        rng.shuffle(code)
        places = [i for i, c in enumerate(notebook.cells) if c.cell_type == "code"]
        for place, cell in zip(places, code, strict=True):
            notebook.cells[place] = cell
        notebook.cells.append(nbformat.v4.new_code_cell(experiment(rng)))
        notebooks[student] = notebook
    folder.mkdir(parents=True)
    paths = {}
    for student, notebook in notebooks.items():
        paths[student] = folder / f"{student}.ipynb"
        nbformat.write(notebook, paths[student])
    return paths


def measure(size: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        paths = make_class(Path(folder) / "class", size)
        out = graded_folder(Path(folder) / "out", paths)
        assignment = load_assignment(TP_ATTENTION)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        result = similarity_report(out, assignment)
        elapsed = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        planted = {(f"s{n - 5:04d}", f"s{n:04d}") for n in range(9, size, 10)}
        found = len(planted & set(result.flagged))
        pairs = len(result.comparison.pairs)
        ranks = [i for i, p in enumerate(result.comparison.pairs) if (p.first, p.second) in planted]
        print(
            f"{size:4d} notebooks: {elapsed:5.1f} s, peak RSS {peak / 1024:6.1f} MiB "
            f"({before / 1024:.1f} MiB before the run), {pairs} pairs sharing code; "
            f"threshold {result.comparison.threshold:.0%}: {found}/{len(planted)} planted copies "
            f"and {len(result.flagged) - found} other pair(s) stand out; the planted copies rank "
            f"first to {max(ranks, default=-1) + 1}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 200, 300])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child: measure one size
    args = parser.parse_args()
    if args.one:
        measure(args.one)
        return
    for size in args.sizes:
        subprocess.run([sys.executable, __file__, "--one", str(size)], check=True)


if __name__ == "__main__":
    main()
