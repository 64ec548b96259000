"""Throughput: one class of tp-attention submissions graded by grader and by nbgrader autograde.

    python benchmarks/bench_throughput.py [-n 100] [--repeats 3] [-j CORES]
        [--nbgrader-venv /path/to/venv] [--kernels warm,fresh] [--memory-jobs 1,2,4]
        [--floor-kernels 20]

The class is made from the bundled examples (hugo's infinite loop left out: it would measure the
cell timeout of each tool, not its throughput), copied to student001..studentNNN. grader grades
them with `grader grade -j N --sandbox bwrap`, its kernels forked from the warm parent
(tp-attention declares `preload:`), and again with `--fresh-kernels`. nbgrader 0.9.6 autogrades
the same student cells, converted to nbgrader's format (solution cells + locked test cells
testing what our checks test), in its own virtual environment (`python -m venv V &&
V/bin/pip install nbgrader==0.9.6`: never the system site-packages). nbgrader's kernel runs the
same Python as grader's kernels (a kernelspec pointing at this interpreter), so both pay the
same `import torch`. The runs alternate, grader then nbgrader then bench_kernel_floor's CPU pass
(the floor: a forked kernel and its client with nothing of grader around them, `--floor-kernels`
of them), and each figure is the median of the repeats.

Prints, for each way of starting grader's kernels: wall time of each tool and the ratio;
grader's overhead per submission beyond the students' own cells ((wall x parallelism - summed
cell time) / n), and the part of it that is the warm parent's import, a fixed cost during which
the other cores wait; the floor measured in the same run, and the overhead above it; peak
memory of the whole batch, grader and its kernels, and per concurrent kernel, as PSS (a page
shared by the warm parent and its forks, kernels and grader's workers, is counted once), with
each concurrent kernel's own pages, from one more run of grader's, watched: sampling every
process's memory slows a batch by about a tenth. `--memory-jobs` watches one such run per -j
given (default: -j only) and prints what each more concurrent kernel costs.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbformat.v4 import new_code_cell, new_notebook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import bench_kernel_floor as kernel_floor
from benchmarks.kernelspec import this_interpreter
from grader.mirror import DEFAULT_ROOT, mirror_env
from grader.sandbox.warm_parent import WORKER_NAME  # grader's workers forked from it

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = ROOT / "assignments" / "tp-attention"
EXAMPLES = ROOT / "examples" / "submissions" / "tp-attention"
LEFT_OUT = {"hugo"}  # an interrupted infinite loop: 15 s of cell timeout per copy
WARM_START = re.compile(r"imported once \(([0-9.]+) s\)")  # grader's warm start line

# nbgrader's version of our checks, run inside the student's kernel as nbgrader does.
TESTS_AFTER_CELL = {
    3: """x = np.array([1000.0, 1000.0, 999.0])
assert np.allclose(softmax(x).sum(), 1.0)
### BEGIN HIDDEN TESTS
y = np.random.default_rng(0).standard_normal((3, 4))
assert np.allclose(softmax(y, axis=0).sum(axis=0), 1.0)
assert np.allclose(softmax(y), np.exp(y) / np.exp(y).sum(-1, keepdims=True))
### END HIDDEN TESTS
""",
    5: """rng = np.random.default_rng(1)
q, k, v = rng.standard_normal((3, 2, 4, 5, 8))
out, w = scaled_dot_product_attention(q, k, v)
### BEGIN HIDDEN TESTS
s = q @ np.swapaxes(k, -1, -2) / np.sqrt(8)
ref_w = np.exp(s - s.max(-1, keepdims=True))
ref_w = ref_w / ref_w.sum(-1, keepdims=True)
assert np.allclose(w, ref_w, atol=1e-6) and np.allclose(out, ref_w @ v, atol=1e-6)
tq, tk, tv = (torch.tensor(a) for a in (q, k, v))
tout, tw = scaled_dot_product_attention(tq, tk, tv)
assert np.allclose(np.asarray(tout), ref_w @ v, atol=1e-6)
### END HIDDEN TESTS
""",
    6: """m = causal_mask(4)
assert m.shape == (4, 4)
### BEGIN HIDDEN TESTS
assert bool(m[3, 0]) and not bool(m[0, 3]) and causal_mask(7).sum() == 28
### END HIDDEN TESTS
""",
}
NBGRADER_CONFIG = """c = get_config()
c.CourseDirectory.course_id = "llm101"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"
c.Execute.timeout = 15
"""


def examples() -> list[Path]:
    return [p for p in sorted(EXAMPLES.glob("*.ipynb")) if p.stem not in LEFT_OUT]


def make_class(n: int, folder: Path) -> list[Path]:
    folder.mkdir(parents=True)
    sources = examples()
    paths = []
    for i in range(n):
        path = folder / f"student{i + 1:03d}.ipynb"
        shutil.copyfile(sources[i % len(sources)], path)
        paths.append(path)
    return paths


def _meta(grade_id: str, *, grade: bool, solution: bool, points: int | None = None) -> dict:
    meta = {"grade": grade, "solution": solution, "locked": not solution, "grade_id": grade_id}
    meta["schema_version"] = 3
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def nbgrader_notebook(student_notebook: Path, *, source: bool) -> nbformat.NotebookNode:
    """The student's code cells as nbgrader solution cells, followed by the test cells. For the
    instructor's source notebook (`source=True`) the solution is wrapped in solution markers."""
    cells = [
        c for c in nbformat.read(student_notebook, as_version=4).cells if c.cell_type == "code"
    ]
    notebook = new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for index, cell in enumerate(cells):
        text = cell.source
        if source:
            text = f"### BEGIN SOLUTION\n{text}\n### END SOLUTION"
        meta = _meta(f"cell{index}", grade=False, solution=True)
        notebook.cells.append(new_code_cell(text, metadata=meta))
        if index in TESTS_AFTER_CELL:
            test = TESTS_AFTER_CELL[index]
            if not source:  # the released (student) copy has the hidden tests stripped
                test = test.split("### BEGIN HIDDEN TESTS")[0]
            meta = _meta(f"test{index}", grade=True, solution=False, points=2)
            notebook.cells.append(new_code_cell(test, metadata=meta))
    return notebook


def setup_nbgrader(venv: Path, course: Path, submissions: list[Path]) -> dict[str, str]:
    """A course dir with the assignment generated and every submission in submitted/."""
    course.mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(NBGRADER_CONFIG)
    (course / "source" / "tp").mkdir(parents=True)
    nbformat.write(
        nbgrader_notebook(EXAMPLES / "alice.ipynb", source=True),
        course / "source" / "tp" / "tp.ipynb",
    )
    env = dict(
        os.environ,
        PATH=f"{venv / 'bin'}:{os.environ['PATH']}",
        JUPYTER_PATH=str(this_interpreter(course / "jupyter")),
    )
    env["PYTHONWARNINGS"] = "ignore"
    env.pop("PYTHONPATH", None)
    # The same offline models as grader's kernels: without it, each notebook's from_pretrained
    # waits for the unreachable hub before it falls back on a cache.
    env.update(mirror_env(DEFAULT_ROOT))
    run(["nbgrader", "generate_assignment", "tp", "--force"], course, env)
    shutil.copyfile(course / "gradebook.db", course / "gradebook.pristine.db")
    for path in submissions:
        target = course / "submitted" / path.stem / "tp" / "tp.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(nbgrader_notebook(path, source=False), target)
    return env


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if completed.returncode not in (0, 1):
        raise SystemExit(
            f"{' '.join(command[:4])} failed ({completed.returncode}):\n{completed.stderr[-3000:]}"
        )
    return time.perf_counter() - started


class PeakMemory:
    """Peak memory of a process and all its descendants, sampled every 0.5 s, as PSS: a page
    shared by n processes (the warm parent's imports, shared by every forked kernel) counts
    1/n in each, so the sum is what the batch really holds (RSS would count it n times)."""

    def __init__(self) -> None:
        self.peak = 0
        self.kernels_at_peak = 0  # of which the kernels (and the warm parent they fork from)
        self.own_at_peak: list[int] = []  # each kernel's own pages (USS)
        self._stop = threading.Event()
        self._root: psutil.Process | None = None

    def watch(self, process: subprocess.Popen[str]) -> None:
        self._root = psutil.Process(process.pid)
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        assert self._root is not None
        while not self._stop.is_set():
            try:
                tree = [self._root, *self._root.children(recursive=True)]
                total = kernels = 0
                own = []
                for proc in tree:
                    try:
                        memory = proc.memory_full_info()
                        total += memory.pss
                        if _is_kernel(proc):
                            kernels += memory.pss
                            if proc.num_threads() > 1:  # ipykernel's, not the warm parent's
                                own.append(memory.uss)  # nor a namespace's first process
                    except psutil.Error:
                        pass
                if total > self.peak:
                    self.peak, self.kernels_at_peak, self.own_at_peak = total, kernels, own
            except psutil.Error:
                pass
            self._stop.wait(0.5)  # reading smaps_rollup of every process is not free

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


KERNEL_SCRIPTS = ("inner.py", "warm_parent.py")  # a fresh kernel; the warm parent, its forks


def _is_kernel(proc: psutil.Process) -> bool:
    """A kernel's process (or the warm parent): not one of grader's workers, also forked from
    the warm parent."""
    command = proc.cmdline()[:4]
    return proc.name() != WORKER_NAME and any(arg.endswith(KERNEL_SCRIPTS) for arg in command)


def grade_with_grader(
    submissions: list[Path], out: Path, jobs: int, extra: list[str], watch_memory: bool = False
) -> dict:
    """One `grader grade` run. Its memory is sampled only with `watch_memory`: reading every
    process's smaps costs the batch about a tenth of its speed, so timed runs go unwatched."""
    command = [sys.executable, "-m", "grader", "grade", str(ASSIGNMENT), *map(str, submissions)]
    command += ["--out", str(out), "-j", str(jobs), "--sandbox", "bwrap", "--seed", "1", *extra]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    memory = PeakMemory() if watch_memory else None
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    if memory is not None:
        memory.watch(process)
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - started
    watched = {}
    if memory is not None:
        watched = {
            "peak": memory.stop(),
            "kernels": memory.kernels_at_peak,
            "own": sorted(memory.own_at_peak, reverse=True),
        }
    if process.returncode not in (0, 1):
        raise SystemExit(f"grader failed ({process.returncode}):\n{stderr[-3000:]}")
    cells = 0.0
    for result in (out / "results").glob("*.json"):
        execution = json.loads(result.read_text())["execution"]
        cells += sum(cell["duration_s"] for cell in execution["cells"])
    graded = len(list((out / "results").glob("*.json")))
    warm = WARM_START.search(stdout + stderr)
    imports = float(warm.group(1)) if warm else 0.0  # the warm parent's, before any kernel
    return {"wall": wall, "cells": cells, "graded": graded, "imports": imports, **watched}


def grade_with_nbgrader(course: Path, env: dict[str, str]) -> dict:
    for folder in ("autograded", "feedback"):
        shutil.rmtree(course / folder, ignore_errors=True)
    shutil.copyfile(course / "gradebook.pristine.db", course / "gradebook.db")
    wall = run(["nbgrader", "autograde", "tp", "--force"], course, env)
    run(["nbgrader", "export"], course, env)
    with open(course / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {"wall": wall, "graded": sum(1 for r in rows if r["score"] != "")}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=100, help="submissions in the class")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("-j", "--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument(
        "--nbgrader-venv", type=Path, default=None, help="venv with nbgrader installed"
    )
    parser.add_argument(
        "--memory-jobs",
        default="",
        help="comma-separated -j values of the watched memory runs [default: -j]",
    )
    parser.add_argument(
        "--kernels",
        default="warm,fresh",
        help="grader's runs: warm (forked from the warm parent), fresh (--fresh-kernels), or both",
    )
    parser.add_argument(
        "--floor-kernels",
        type=int,
        default=20,
        help="kernels of bench_kernel_floor's CPU pass after each repeat (0: no floor)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    submissions = make_class(args.n, work / "class")
    env = None
    if args.nbgrader_venv is not None:
        env = setup_nbgrader(args.nbgrader_venv.resolve(), work / "nbgrader", submissions)
    modes = args.kernels.split(",")
    grader_runs: dict[str, list[dict]] = {mode: [] for mode in modes}
    memory_runs: dict[str, dict[int, dict]] = {}
    memory_jobs = [int(j) for j in args.memory_jobs.split(",") if j] or [args.jobs]
    nbgrader_runs: list[dict] = []
    floors: list[float] = []
    for repeat in range(args.repeats):
        line = f"run {repeat + 1}:"
        for mode in modes:
            out = work / f"out-{mode}{repeat}"
            extra = ["--fresh-kernels"] if mode == "fresh" else []
            grader_runs[mode].append(grade_with_grader(submissions, out, args.jobs, extra))
            line += f" grader/{mode} {grader_runs[mode][-1]['wall']:.1f} s"
            line += f" ({grader_runs[mode][-1]['graded']} graded),"
            if repeat == 0:  # memory: one more run per -j, watched
                memory_runs[mode] = {
                    jobs: grade_with_grader(
                        submissions, work / f"out-{mode}-memory{jobs}", jobs, extra, True
                    )
                    for jobs in memory_jobs
                }
        if env is not None:
            nbgrader_runs.append(grade_with_nbgrader(work / "nbgrader", env))
            line += f" nbgrader {nbgrader_runs[-1]['wall']:.1f} s"
            line += f" ({nbgrader_runs[-1]['graded']} graded),"
        if args.floor_kernels:
            _, imports, cpu, _ = kernel_floor.measure(ASSIGNMENT, args.floor_kernels, None)
            floors.append(kernel_floor.per_submission(cpu, imports, args.n, args.jobs))
            line += f" floor {floors[-1]:.3f} s per submission"
        print(line.rstrip(","), flush=True)
        for mode in modes:  # the figures so far: a long run can be cut
            report(args, mode, grader_runs[mode], memory_runs[mode], nbgrader_runs, floors)
    shutil.rmtree(work, ignore_errors=True)


def report(
    args: argparse.Namespace,
    mode: str,
    grader_runs: list[dict],
    memory_runs: dict[int, dict],
    nbgrader_runs: list[dict],
    floors: list[float],
) -> None:
    n, jobs, mib = args.n, args.jobs, 1024**2
    wall = statistics.median(r["wall"] for r in grader_runs)
    cells = statistics.median(r["cells"] for r in grader_runs)
    runs = len(grader_runs)
    print(f"\nclass: {n} tp-attention submissions, -j {jobs}, bwrap, {mode} kernels, median of")
    print(f"{runs} run(s)")
    print(f"grader:   {wall:7.1f} s  ({n / wall * 60:.0f} notebooks/min)")
    if nbgrader_runs:
        nb_wall = statistics.median(r["wall"] for r in nbgrader_runs)
        print(f"nbgrader: {nb_wall:7.1f} s  ({n / nb_wall * 60:.0f} notebooks/min, autograde)")
        print(f"ratio nbgrader / grader: {nb_wall / wall:.2f}x (target >= 10x)")
    # Kernel-seconds not spent in the students' cells (their `import torch` counts as theirs).
    overhead = (wall * jobs - cells) / n
    print(f"students' cells: {cells:.1f} s summed")
    print(f"overhead per submission, (wall x j - cells) / n: {overhead:.2f} s (target <= 0.2 s)")
    imports = statistics.median(r["imports"] for r in grader_runs)
    if imports:  # one core imports, the others wait: a fixed cost, shared by the class
        print(
            f"  of which the warm parent's import ({imports:.1f} s, before any kernel): "
            f"{imports * jobs / n:.2f} s"
        )
    if floors:
        floor = statistics.median(floors)
        print(
            f"floor (bench_kernel_floor in the same run, {args.floor_kernels} kernels): "
            f"{floor:.3f} s per submission"
        )
        print(f"overhead above the floor: {overhead - floor:.3f} s (target <= 0.05 s)")
    print("peak memory (PSS, one more run per -j) of the batch, grader and kernels:")
    for watched_jobs, run in sorted(memory_runs.items()):
        peak, kernels = run["peak"] / mib, run["kernels"] / mib
        print(
            f"  -j {watched_jobs}: {peak:.0f} MiB = {peak / watched_jobs:.0f} MiB per concurrent "
            f"kernel (target <= 300); kernels and their warm parent {kernels:.0f} MiB, grader's "
            f"main process and workers {peak - kernels:.0f} MiB (target <= 100)"
        )
        if run["own"]:
            own = ", ".join(f"{uss / mib:.0f}" for uss in run["own"])
            print(f"    each concurrent kernel's own pages (USS) at that peak: {own} MiB")
    if len(memory_runs) > 1:
        (low, low_run), (high, high_run) = min(memory_runs.items()), max(memory_runs.items())
        more = (high_run["peak"] - low_run["peak"]) / mib / (high - low)
        print(f"  each more concurrent kernel (and its worker): {more:.0f} MiB")
    print(flush=True)


if __name__ == "__main__":
    main()
