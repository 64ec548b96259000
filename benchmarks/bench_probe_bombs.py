"""What a notebook that bombs every probe answer costs the grader worker, against a normal one.

    PYTHONPATH=. python benchmarks/bench_probe_bombs.py [--sandbox bwrap] [--fresh-kernels]

Grades tp-attention's alice, then alice plus a last cell that turns every probe answer into one
of the bombs of tests/hostile/cells.py (60 MB of small dicts, 100 000 levels of nesting, a
60 MB string, a 5 MB text, 15 million numbers, an `.npy` header claiming 8 TB), each in a
grader worker of its own, as `grader grade` does (forked from the warm parent, or started
afresh with --fresh-kernels). Prints, per notebook, the checks' time (their sum and the slowest
check), its outcomes, and the worker's peak memory (VmHWM of /proc/PID/status: its resident
high-water mark, the preloaded libraries included).
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

from grader.assignment.load import load_assignment
from grader.grading import GradeOptions, Submission, prepare_mirror
from grader.mirror import DEFAULT_ROOT
from grader.results import GradeReport
from grader.sandbox.selection import select_backend
from grader.warm_start import warm_kernels
from grader.workers import Worker, receive, send
from tests.hostile.cells import PROBE_BOMBS, bomb_probe_answers

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = ROOT / "assignments" / "tp-attention"
ALICE = ROOT / "examples" / "submissions" / "tp-attention" / "alice.ipynb"


def notebooks(folder: Path) -> dict[str, Path]:
    """alice, and alice with each bomb."""
    paths = {"alice (normal)": ALICE}
    for name, value in PROBE_BOMBS.items():
        notebook = nbformat.read(ALICE, as_version=4)
        notebook.cells.append(new_code_cell(bomb_probe_answers(value)))
        paths[name] = folder / f"{name}.ipynb"
        nbformat.write(notebook, paths[name])
    return paths


def grade_in_a_worker(
    path: Path, options: GradeOptions, warm_parent: Path | None
) -> tuple[GradeReport, int]:
    """The report of `path` graded by a new worker, and that worker's peak memory in bytes."""
    worker = Worker.fork(warm_parent) if warm_parent is not None else Worker.start()
    try:
        send(worker.connection, (str(ASSIGNMENT), Submission(path.stem, path), options))
        report = receive(worker.connection)
        if not isinstance(report, GradeReport):
            raise RuntimeError(f"the worker failed: {report}")
        return report, peak_memory(worker.pid)
    finally:
        worker.end()


def peak_memory(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sandbox", default="bwrap")
    parser.add_argument("--mirror", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--fresh-kernels", dest="fresh", action="store_true", help="no warm parent")
    args = parser.parse_args()
    assignment = load_assignment(ASSIGNMENT)
    backend = select_backend(args.sandbox, "grade", unsafe_no_sandbox=True)
    options = GradeOptions(
        seed=1,
        sandbox=backend,
        mirror=prepare_mirror(assignment, args.mirror),
        fresh_kernels=args.fresh,
    )
    kind = "fresh workers" if args.fresh else "workers forked from the warm parent"
    print(f"bench_probe_bombs: tp-attention, sandbox {backend.name}, {kind}")
    print(f"  {'notebook':<16} {'checks':>8} {'slowest':>8} {'peak':>9}   outcomes")
    with (
        tempfile.TemporaryDirectory() as folder,
        warm_kernels(assignment, options) as (
            options,
            _notice,
        ),
    ):
        for name, path in notebooks(Path(folder)).items():
            report, peak = grade_in_a_worker(path, options, options.warm_parent)
            checks = [c for criterion in report.criteria for c in criterion.checks]
            durations = [c.duration_s for c in checks]
            outcomes = Counter(c.outcome.value for c in checks)
            print(
                f"  {name:<16} {sum(durations):7.2f}s {max(durations):7.2f}s "
                f"{peak / 1024**2:6.0f} MiB   "
                + ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
            )


if __name__ == "__main__":
    main()
