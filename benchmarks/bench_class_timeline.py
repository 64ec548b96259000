"""When each step of grading a class happens: where a small class's wall time goes.

    PYTHONPATH=. python benchmarks/bench_class_timeline.py tp2-decodage [-j 2]
        [--kernel-round-trips 200]

Grades an assignment's example class (examples/submissions/<id>/) through `grade_class`, as
`grader grade` does, and prints the seconds since start at which the assignment is loaded, the
run is planned, the warm parent is ready (the kernels and workers fork from it, so nothing is
graded before), each student is graded and the run ends. On a class of a few notebooks, what
comes before the first grading is most of the wall time.

`--kernel-round-trips N` also times N `kernel_info` requests to a plain ipykernel (no grader,
no sandbox): the least one message to a kernel and its answer cost on this machine, beside
which a probe's round trip (bench_overhead) is read.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

STARTED = time.perf_counter()
ROOT = Path(__file__).resolve().parent.parent


def say(what: str) -> None:
    print(f"{time.perf_counter() - STARTED:7.2f} s  {what}", flush=True)


def timeline(assignment: str, jobs: int) -> None:
    import grader.api as api
    import grader.assignment.load as load
    from benchmarks.bench_course_assignments import make_class
    from grader.results import GradeReport

    say("imports done")
    load_assignment = load.load_assignment

    def timed_load(path: Path) -> load.Assignment:
        say("loading the assignment")
        loaded = load_assignment(path)
        say("assignment loaded (its checks.py imported)")
        return loaded

    load.load_assignment = timed_load  # grade_class imports it when it runs

    class Listener(api.ClassListener):
        def planned(self, plan: api.ClassPlan) -> None:
            say(f"planned: {plan.pending} to grade")

        def warm_start(self, notice: str) -> None:
            say(notice)

        def graded(self, report: GradeReport) -> None:
            say(f"graded {report.student}")

        def grading_ended(self, completed: bool) -> None:
            say("grading ended")

    submissions = tuple(make_class(assignment, 1, ROOT))  # the examples as they are, no copy
    with tempfile.TemporaryDirectory() as out:
        run = api.ClassRun(ROOT / "assignments" / assignment, submissions, Path(out), jobs, seed=4)
        api.grade_class(run, Listener())
    say("grade_class returned")


def kernel_round_trips(count: int) -> None:
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel()
    try:
        spent = []
        for _ in range(count):
            started = time.perf_counter()
            msg_id = client.kernel_info()
            while client.get_shell_msg(timeout=10)["parent_header"].get("msg_id") != msg_id:
                pass
            spent.append((time.perf_counter() - started) * 1000)
        quartiles = " / ".join(f"{q:.2f}" for q in statistics.quantiles(spent, n=4))
        print(
            f"kernel_info round trip, plain ipykernel, {count} requests: quartiles {quartiles} ms"
        )
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment", help="an assignment of assignments/ with example submissions")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--kernel-round-trips", type=int, default=0, metavar="N")
    args = parser.parse_args()
    timeline(args.assignment, args.jobs)
    if args.kernel_round_trips:
        kernel_round_trips(args.kernel_round_trips)


if __name__ == "__main__":
    main()
