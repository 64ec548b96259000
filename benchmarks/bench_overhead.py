"""The grader's own cost per submission, phase by phase, beyond the students' cells.

    PYTHONPATH=. python benchmarks/bench_overhead.py [--runs 7] [--sandbox bwrap] [--fresh-kernels]

Grades copies of tp-attention's alice in this process, one after the other, through the real
pipeline (grade_submission, then OutputTree.add as `grader grade` does), its kernels forked
from the warm parent as a batch's are (`--fresh-kernels`: each starts from scratch). Each
phase is timed by wrapping the function that does it; prints the median of each phase over
the runs, and the grader's own overhead: everything but the kernel start and the students'
cells (target 0.2 s). The first submission warms the process (imports, mirror, caches) and
is not counted. To compare two versions of grader, run the script with PYTHONPATH pointing at
each checkout in turn.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grader.grading as grading
import grader.output_tree as output_tree
import grader.warm_start as warm_start
from grader.assignment.load import load_assignment
from grader.checks.probe import Notebook
from grader.grading import GradeOptions, Submission, grade_submission, prepare_mirror
from grader.mirror import DEFAULT_ROOT
from grader.report import html
from grader.sandbox import execute
from grader.sandbox.boxes import KernelBox
from grader.sandbox.execute import CappedNotebookClient
from grader.sandbox.selection import select_backend

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = ROOT / "assignments" / "tp-attention"
ALICE = ROOT / "examples" / "submissions" / "tp-attention" / "alice.ipynb"

# phase -> list of durations in the current submission
spent: dict[str, list[float]] = defaultdict(list)


def timed(phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """`function`, adding each call's wall time to `spent[phase]`."""
    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await function(*args, **kwargs)
            finally:
                spent[phase].append(time.perf_counter() - started)

        return async_wrapper

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[phase].append(time.perf_counter() - started)

    return wrapper


def instrument() -> None:
    """Time each phase where the pipeline does it (the wrappers change no behaviour)."""
    execute._start = timed("kernel start", execute._start)
    KernelBox.start = timed("  box start", KernelBox.start)  # type: ignore[method-assign]
    CappedNotebookClient.async_execute_cell = timed(  # type: ignore[method-assign]
        "cells (nbclient)", CappedNotebookClient.async_execute_cell
    )
    CappedNotebookClient.async_start_new_kernel_client = timed(  # type: ignore[method-assign]
        "  client start", CappedNotebookClient.async_start_new_kernel_client
    )
    grading._parse_notebook = timed("read notebook", grading._parse_notebook)
    grading._open_box = timed("open box", grading._open_box)
    grading._prepare_workdir = timed("prepare workdir", grading._prepare_workdir)
    execute._is_alive = timed("is alive", execute._is_alive)
    grading.run_checks = timed("checks", grading.run_checks)
    Notebook._ask = timed("  probes", Notebook._ask)  # type: ignore[method-assign]
    KernelBox.close = timed("kernel close", KernelBox.close)  # type: ignore[method-assign]
    grading.score_rubric = timed("scoring", grading.score_rubric)
    grading.submission_hash = timed("hash", grading.submission_hash)
    output_tree.OutputTree.add = timed("writing (add)", output_tree.OutputTree.add)  # type: ignore[method-assign]
    output_tree.render_report = timed("  html report", html.render_report)
    output_tree.write_json_atomic = timed("  results json", output_tree.write_json_atomic)
    output_tree.Gradebook.record = timed("  gradebook row", output_tree.Gradebook.record)  # type: ignore[method-assign]


SUB_PHASES = (
    "checks",
    "kernel close",
    "open box",
    "read notebook",
    "prepare workdir",
    "is alive",
    "scoring",
    "hash",
)


def grade_one(
    assignment: Any, tree: output_tree.OutputTree, submission: Submission, options: GradeOptions
) -> dict[str, float]:
    spent.clear()
    started = time.perf_counter()
    report = grade_submission(assignment, submission, options)
    graded = time.perf_counter()
    tree.add(report)
    finished = time.perf_counter()
    if report.score != report.max_score:
        raise RuntimeError(f"alice should get full marks, got {report.score}/{report.max_score}")
    phases = {phase: sum(durations) for phase, durations in spent.items()}
    phases["probe count"] = len(spent["  probes"])
    phases["grade_submission"] = graded - started
    phases["total"] = finished - started
    phases["overhead"] = phases["total"] - phases["kernel start"] - phases["cells (nbclient)"]
    phases["unaccounted"] = phases["overhead"] - sum(
        phases.get(p, 0.0) for p in (*SUB_PHASES, "writing (add)")
    )
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sandbox", default="bwrap")
    parser.add_argument("--mirror", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--fresh-kernels", dest="fresh", action="store_true", help="no warm parent")
    args = parser.parse_args()
    instrument()
    assignment = load_assignment(ASSIGNMENT)
    backend = select_backend(args.sandbox, "grade", unsafe_no_sandbox=True)
    scratch = Path(tempfile.mkdtemp(prefix="bench-overhead-"))
    try:
        copies = []
        for i in range(args.runs + 1):
            copy = scratch / "in" / f"alice{i:02d}.ipynb"
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ALICE, copy)
            copies.append(Submission(copy.stem, copy))
        out = scratch / "out"
        options = GradeOptions(
            seed=12345,
            sandbox=backend,
            protected=(ASSIGNMENT, out),
            mirror=prepare_mirror(assignment, args.mirror),
            max_threads=1,
            fresh_kernels=args.fresh,
        )
        tree = output_tree.OutputTree(out, assignment, options)
        tree.plan(copies)
        with warm_start.warm_kernels(assignment, options) as (options, notice):
            print(notice)
            rows = [grade_one(assignment, tree, s, options) for s in copies]
        tree.finish(None)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    counted = rows[1:]
    order = [
        "kernel start",
        "  box start",
        "  client start",
        "cells (nbclient)",
        SUB_PHASES[0],  # checks, then the probes they made
        "  probes",
        *SUB_PHASES[1:],
        "writing (add)",
        "  html report",
        "  results json",
        "  gradebook row",
        "grade_submission",
        "total",
        "overhead",
        "unaccounted",
    ]
    print(f"bench_overhead: {len(counted)} x alice, sandbox {backend.name}, medians (min-max)")
    for phase in order:
        values = [row.get(phase, 0.0) for row in counted]
        print(
            f"  {phase:<18} {statistics.median(values) * 1000:8.1f} ms"
            f"   ({min(values) * 1000:.1f}-{max(values) * 1000:.1f})"
        )
    count = statistics.median(row["probe count"] for row in counted)
    mean = statistics.median(row["  probes"] / row["probe count"] for row in counted)
    print(f"  probe round trips  {count:.0f}, mean {mean * 1000:.1f} ms each")
    print(
        "  overhead = total - kernel start - students' cells (target <= 200 ms): "
        f"{statistics.median(r['overhead'] for r in counted) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
