"""The floor under bench_throughput's overhead and memory: what Jupyter kernels cost at the very
least on this machine, before grader does anything around them.

    PYTHONPATH=. python benchmarks/bench_kernel_floor.py [ASSIGNMENT] [-n 20] [-j CORES]
        [--submissions 100]

A process imports the assignment's `preload:` and ipykernel, as the warm parent does, and forks
one kernel per notebook, with no sandbox, no cgroup, no check and no grader process. A client
here drives each kernel with nbclient (jupyter_client underneath, as grader's kernels are),
one notebook after the other:

- CPU: the assignment notebook's code cells, each emptied to `pass`, in -n kernels. The kernels'
  CPU is read from the process that forked and reaped them, the client's from this process.
  A batch cannot cost less per submission than both together, plus the imports: during them
  one core works and the others wait, `imports x j` core-seconds shared by the submissions.
- Memory: the notebook's own cells (the solution) in -j kernels alive at once, measured at the
  end of their last cell as PSS (a page shared by n processes counts 1/n in each): the imported
  libraries, the files the cells map (a model's weights), and each kernel's own pages. A batch
  at -j cannot hold less per concurrent kernel.

Prints each figure and, beside it, bench_throughput's target (0.2 s of overhead per submission,
300 MB per concurrent kernel): a floor above a target says no grader can meet it here with one
Jupyter kernel per submission.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.connect import write_connection_file
from nbclient import NotebookClient

from grader.assignment.load import load_assignment
from grader.grading import prepare_mirror
from grader.mirror import DEFAULT_ROOT, mirror_env

ROOT = Path(__file__).resolve().parent.parent
MIB = 1 << 20

# The forking process: imports, says how long they took, then for each line on stdin (a
# connection file) forks a kernel and says its pid; on an empty line, waits for every kernel
# and says their CPU. Run with `python -c`, standard library and the preloaded modules only.
FORKER = r"""
import gc, importlib, json, os, resource, sys, time
started = time.perf_counter()
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
gc.collect()
gc.freeze()
print(json.dumps({"seconds": time.perf_counter() - started}), flush=True)
kernels = 0
for line in sys.stdin:
    if line == "\n":
        while kernels:
            os.wait()
            kernels -= 1
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(json.dumps({"user": usage.ru_utime, "system": usage.ru_stime}), flush=True)
        continue
    pid = os.fork()
    if pid == 0:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        sys.argv = ["ipykernel_launcher", "-f", line.strip(), "--HistoryManager.hist_file=:memory:"]
        from ipykernel import kernelapp
        kernelapp.launch_new_instance()
        os._exit(0)
    kernels += 1
    print(json.dumps({"pid": pid}), flush=True)
"""


class Forker:
    def __init__(self, preload: list[str], environment: dict[str, str]) -> None:
        modules = [*preload, "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger"]
        self.process = subprocess.Popen(
            [sys.executable, "-c", FORKER, json.dumps(modules)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=environment,
            text=True,
        )
        self.import_seconds = float(self._read()["seconds"])

    def _read(self) -> dict[str, float]:
        assert self.process.stdout is not None
        return json.loads(self.process.stdout.readline())

    def _write(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def fork(self, connection_file: str) -> int:
        self._write(connection_file)
        return int(self._read()["pid"])

    def reap_all(self) -> tuple[float, float]:
        """Wait for every kernel forked so far; the user and system CPU of all of them."""
        self._write("")
        usage = self._read()
        return usage["user"], usage["system"]

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()


class Kernel:
    """A kernel forked by the forker, driven by nbclient through a notebook's code cells."""

    def __init__(self, forker: Forker, folder: Path) -> None:
        connection_file, _ = write_connection_file(str(folder / "kernel.json"))
        self.pid = forker.fork(connection_file)
        self.client = AsyncKernelClient(connection_file=connection_file)
        self.client.load_connection_file()

    async def run(self, notebook: nbformat.NotebookNode) -> None:
        self.client.start_channels()
        await self.client.wait_for_ready(timeout=120)
        runner = NotebookClient(notebook, timeout=120, allow_errors=True)
        runner.kc = self.client
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type == "code":
                await runner.async_execute_cell(cell, index)

    def stop(self) -> None:
        self.client.shutdown()
        self.client.stop_channels()


def pss_mib(pid: int) -> tuple[float, float]:
    """PSS and USS (the pages no other process maps) of a process, in MiB."""
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            if match := re.match(r"(\w+):\s+(\d+) kB", line):
                fields[match[1]] = int(match[2]) * 1024
    return fields["Pss"] / MIB, (fields["Private_Clean"] + fields["Private_Dirty"]) / MIB


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def cpu_pass(forker: Forker, notebook: nbformat.NotebookNode, n: int, work: Path) -> dict:
    empty = nbformat.from_dict(notebook)
    for cell in empty.cells:
        if cell.cell_type == "code":
            cell.source = "pass"
    kernel = Kernel(forker, work)  # a first one, not counted: this process warms up
    await kernel.run(nbformat.from_dict(empty))
    kernel.stop()
    user0, system0 = forker.reap_all()
    client0, started = cpu_seconds(), time.perf_counter()
    for _ in range(n):
        kernel = Kernel(forker, work)
        await kernel.run(nbformat.from_dict(empty))
        kernel.stop()
        user, system = forker.reap_all()  # its exit is part of its cost
    return {
        "cells": sum(cell.cell_type == "code" for cell in empty.cells),
        "user": (user - user0) / n,
        "system": (system - system0) / n,
        "client": (cpu_seconds() - client0) / n,
        "wall": (time.perf_counter() - started) / n,
    }


async def memory_pass(
    forker: Forker, notebook: nbformat.NotebookNode, jobs: int, work: Path
) -> dict:
    kernels = []
    for index in range(jobs):
        folder = work / f"kernel{index}"
        folder.mkdir()
        kernels.append(Kernel(forker, folder))
    await asyncio.gather(*(k.run(nbformat.from_dict(notebook)) for k in kernels))
    forker_pss, _ = pss_mib(forker.process.pid)
    measured = [pss_mib(k.pid) for k in kernels]
    for kernel in kernels:
        kernel.stop()
    forker.reap_all()
    return {
        "total": forker_pss + sum(pss for pss, _ in measured),
        "own": sum(uss for _, uss in measured) / jobs,
    }


def measure(assignment_path: Path, n: int, jobs: int | None) -> tuple[list[str], float, dict, dict]:
    """The assignment's preload, the forker's import time, the CPU pass over `n` kernels and,
    unless `jobs` is None, the memory pass with `jobs` kernels at once."""
    assignment = load_assignment(assignment_path)
    mirror = prepare_mirror(assignment, DEFAULT_ROOT)
    environment = dict(os.environ, **(mirror_env(mirror) if mirror else {}))
    environment.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    environment["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # debugpy's warning about frozen modules
    notebook = nbformat.read(assignment.source_notebook, as_version=4)
    preload = assignment.spec.preload
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as folder:
        work = Path(folder)
        os.chdir(work)  # what the cells write (a figure, a file) stays here
        forker = Forker(preload, environment)
        try:
            cpu = asyncio.run(cpu_pass(forker, notebook, n, work))
            memory = {} if jobs is None else asyncio.run(memory_pass(forker, notebook, jobs, work))
        finally:
            forker.close()
            os.chdir(here)
    return preload, forker.import_seconds, cpu, memory


def per_submission(cpu: dict, imports: float, submissions: int, jobs: int) -> float:
    """The floor of the overhead per submission: a kernel's and its client's CPU, plus the
    submission's share of the imports (one core imports, the others wait)."""
    return cpu["user"] + cpu["system"] + cpu["client"] + imports * jobs / submissions


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("assignment", nargs="?", default=ROOT / "assignments" / "tp-attention")
    parser.add_argument("-n", type=int, default=20, help="kernels timed, one after the other")
    parser.add_argument("-j", "--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--submissions", type=int, default=100, help="the class of the floor")
    args = parser.parse_args()
    preload, imports, cpu, memory = measure(Path(args.assignment), args.n, args.jobs)
    report(args, preload, imports, cpu, memory)


def report(
    args: argparse.Namespace, preload: list[str], imports: float, cpu: dict, memory: dict
) -> None:
    n, j = args.submissions, args.jobs
    kernel = cpu["user"] + cpu["system"]
    print(f"imports ({', '.join(preload)}, ipykernel): {imports:.1f} s")
    print(
        f"a kernel forked after them, {cpu['cells']} empty cells through nbclient, {args.n} runs:"
    )
    print(
        f"  kernel CPU {kernel * 1000:.0f} ms (user {cpu['user'] * 1000:.0f}, "
        f"system {cpu['system'] * 1000:.0f}), client CPU {cpu['client'] * 1000:.0f} ms, "
        f"wall {cpu['wall'] * 1000:.0f} ms per notebook"
    )
    print(
        f"floor of the overhead per submission, {n} submissions at -j {j}: "
        f"{kernel + cpu['client']:.3f} + imports {imports:.1f} s x {j} / {n} = "
        f"{per_submission(cpu, imports, n, j):.3f} s (target 0.2)"
    )
    per_kernel_mb = memory["total"] * MIB / 1e6 / j
    print(
        f"the solution's cells in {j} kernels at once: {memory['total']:.0f} MiB in all "
        f"(libraries and mapped files shared, each kernel's own pages {memory['own']:.0f} MiB)"
    )
    print(
        f"floor of the memory per concurrent kernel at -j {j}: {per_kernel_mb:.0f} MB (target 300)"
    )


if __name__ == "__main__":
    main()
