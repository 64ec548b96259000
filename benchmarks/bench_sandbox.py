"""Added cost of the sandbox per submission: start a box, run a one-cell notebook, close it.

    PYTHONPATH=. python benchmarks/bench_sandbox.py [--runs 9]

Prints the median and spread per backend, and the median added over `none` (target < 0.1 s).
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from grader.sandbox.limits import Limits
from grader.sandbox.selection import Backend, select_backend


async def one_submission(backend: Backend, workdir: Path) -> float:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    started = time.perf_counter()
    box = backend.open(workdir, Limits(), protected=())
    await box.start()
    try:
        client = NotebookClient(notebook, km=box.km, timeout=30)
        async with client.async_setup_kernel():
            atexit.unregister(client._cleanup_kernel)
            await client.async_execute_cell(notebook.cells[0], 0)
    finally:
        await box.close()
    elapsed = time.perf_counter() - started
    if notebook.cells[0].outputs[0]["text"] != "42\n":
        raise RuntimeError(f"{backend.name}: unexpected output {notebook.cells[0].outputs}")
    return elapsed


def measure(names: list[str], runs: int) -> dict[str, list[float]]:
    """Runs interleaved across backends, so that drift in the machine's load hits all alike."""
    chosen = {n: select_backend(n, "grade", unsafe_no_sandbox=True) for n in names}  # type: ignore[arg-type]
    times: dict[str, list[float]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as scratch:
        for backend in chosen.values():
            asyncio.run(one_submission(backend, Path(scratch)))  # warm-up, discarded
        for _ in range(runs):
            for name, backend in chosen.items():
                times[name].append(asyncio.run(one_submission(backend, Path(scratch))))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--backends", default="none,bwrap,landlock")
    args = parser.parse_args()
    times = measure(args.backends.split(","), args.runs)
    for name, runs in times.items():
        spread = f"min {min(runs):.3f} s, max {max(runs):.3f} s"
        print(f"{name:9s} median {statistics.median(runs):.3f} s ({spread}, {len(runs)} runs)")
    for name, runs in times.items():
        if name == "none" or "none" not in times:
            continue
        added = statistics.median(runs) - statistics.median(times["none"])
        paired = statistics.median(b - a for a, b in zip(times["none"], runs, strict=True))
        verdict = "within" if added < 0.1 else "OVER"
        print(
            f"{name:9s} adds {added:+.3f} s per submission (median of paired runs "
            f"{paired:+.3f} s; {verdict} the 0.1 s target)"
        )


if __name__ == "__main__":
    main()
