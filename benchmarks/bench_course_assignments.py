"""Each course assignment's example class graded by grader, beside `jupyter nbconvert --execute`.

    python -m venv V && V/bin/pip install 'nbconvert>=7,<8'
    PYTHONPATH=. python benchmarks/bench_course_assignments.py --nbconvert-venv V
        [--jobs 2] [--copies 10] [--only tp-mlp ...]

For every assignment with an example class (examples/submissions/<id>), in turn, the class
made `--copies` times as large (each example copied, alice-00, alice-01...):

- grader: `grader grade` of the class through the CLI, `--jobs` at a time (the warm start,
  the sandbox, the checks, the reports);
- nbconvert: `jupyter nbconvert --to notebook --execute` of the same notebooks, `--jobs` at a
  time, each in a folder staged as grading stages it (the data files, the student's files)
  with the same offline models and the assignment's cell timeout: executing alone, no check.
  nbconvert comes from its own virtual environment; its kernel is this interpreter, so it pays
  the same imports as grader's kernels;
- the ratio of the two, and grader's time per submission outside the notebooks' own runs
  (`--jobs` × wall − the executions' durations, over the class): the kernels' start, the
  checks with their references, the reports. `make demo` is the tp-attention line.

Prints one line per assignment; asserts nothing. The figures are in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.kernelspec import this_interpreter
from grader.assignment.load import load_assignment
from grader.grading import _prepare_workdir, find_submission, prepare_mirror
from grader.mirror import DEFAULT_ROOT, mirror_env
from grader.submission import read_notebook

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "submissions"
ASSIGNMENTS = tuple(sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir()))


@dataclass(frozen=True)
class Graded:
    count: int
    wall: float
    executions: list[float]  # each notebook's own run, as its result records it


def make_class(assignment: str, copies: int, folder: Path) -> list[Path]:
    """The example class, each submission `copies` times (alice-00, alice-01...), in `folder`:
    a notebook each, or a folder each (the mini-projet's pairs: notebook and PDF report)."""
    examples = sorted(
        p for p in (EXAMPLES / assignment).iterdir() if p.suffix == ".ipynb" or p.is_dir()
    )
    if copies == 1:
        return examples
    made = []
    for example, number in itertools.product(examples, range(copies)):
        target = folder / f"{example.stem}-{number:02d}{example.suffix}"
        (shutil.copytree if example.is_dir() else shutil.copyfile)(example, target)
        made.append(target)
    return made


def grade_with_grader(assignment: str, submissions: list[Path], jobs: int) -> Graded:
    with tempfile.TemporaryDirectory(prefix="bench-course-") as out:
        command = [sys.executable, "-m", "grader", "grade", str(ROOT / "assignments" / assignment)]
        command += [*map(str, submissions), "--out", out, "-j", str(jobs)]
        started = time.perf_counter()
        completed = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        wall = time.perf_counter() - started
        if completed.returncode not in (0, 1):
            raise RuntimeError(f"{assignment}: exit {completed.returncode}\n{completed.stderr}")
        executions = [
            json.loads(path.read_text())["execution"]["duration_s"]
            for path in Path(out, "results").glob("*.json")
        ]
    return Graded(len(submissions), wall, executions)


def execute_with_nbconvert(
    assignment_id: str, submissions: list[Path], jobs: int, venv: Path
) -> float:
    """The wall time of nbconvert executing the class, `jobs` notebooks at a time."""
    assignment = load_assignment(ROOT / "assignments" / assignment_id)
    mirror = prepare_mirror(assignment, DEFAULT_ROOT)
    timeout = f"--ExecutePreprocessor.timeout={assignment.limits.cell_timeout_s:.0f}"
    with tempfile.TemporaryDirectory(prefix="bench-nbconvert-") as scratch:
        environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
        environment |= {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        environment |= mirror_env(mirror) if mirror is not None else {}
        environment["JUPYTER_PATH"] = str(this_interpreter(Path(scratch, "jupyter")))
        staged = []
        for number, example in enumerate(submissions):
            submission = find_submission(example)
            workdir = Path(scratch, f"{number:03d}")
            workdir.mkdir()
            _prepare_workdir(assignment, submission, workdir, assignment.limits)
            handed_in = read_notebook(example, assignment.limits).content
            assert handed_in is not None, example
            (workdir / "submission.ipynb").write_bytes(handed_in)
            staged.append((workdir, workdir / "submission.ipynb"))

        def execute(folder_and_notebook: tuple[Path, Path]) -> None:
            folder, notebook = folder_and_notebook
            command = [str(venv / "bin" / "jupyter"), "nbconvert", "--to", "notebook"]
            command += ["--execute", "--allow-errors", timeout, "--output", "executed"]
            command += ["--ExecutePreprocessor.interrupt_on_timeout=True", str(notebook)]
            done = subprocess.run(command, cwd=folder, env=environment, capture_output=True)
            if done.returncode != 0:
                raise RuntimeError(f"{notebook}: nbconvert failed\n{done.stderr.decode()}")

        started = time.perf_counter()
        with ThreadPoolExecutor(jobs) as pool:
            list(pool.map(execute, staged))
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nbconvert-venv", type=Path, required=True, help="venv with nbconvert")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--copies", type=int, default=1, help="each example this many times")
    parser.add_argument("--only", nargs="+", choices=ASSIGNMENTS)
    args = parser.parse_args()
    print(f"{'assignment':18} n  grader  nbconvert  ratio  outside the runs, per submission")
    venv = args.nbconvert_venv.resolve()
    for assignment in args.only or ASSIGNMENTS:
        with tempfile.TemporaryDirectory(prefix="bench-class-") as folder:
            submissions = make_class(assignment, args.copies, Path(folder))
            graded = grade_with_grader(assignment, submissions, args.jobs)
            executed = execute_with_nbconvert(assignment, submissions, args.jobs, venv)
        outside = (args.jobs * graded.wall - sum(graded.executions)) / graded.count
        print(
            f"{assignment:18} {graded.count:2} {graded.wall:6.1f} s {executed:7.1f} s"
            f" {executed / graded.wall:5.1f}x  {outside:5.2f} s"
            f"  (slowest notebook {max(graded.executions, default=0.0):.1f} s, -j {args.jobs})"
        )


if __name__ == "__main__":
    main()
