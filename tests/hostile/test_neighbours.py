"""One student's kernel cannot stop another's: every kernel runs as the same host user (nobody),
so a per-user limit is shared by the whole class. RLIMIT_NPROC counts the threads and processes
of that user, all kernels together: a kernel holding 100 threads (within its own limit of 128)
left the next student's kernel unable to start the threads ipykernel needs ("can't start new
thread"). Where a pids cgroup bounds each kernel's tree, that cgroup is the limit, per kernel.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from grader.sandbox.boxes import KernelBox
from grader.sandbox.bwrap import BwrapBox
from grader.sandbox.cgroups import CgroupLayout
from grader.sandbox.landlock import LandlockBox
from grader.sandbox.limits import Limits
from grader.sandbox.selection import landlock_problem
from tests.hostile.harness import BoxRun, run_cells

LIMITS = Limits(memory_bytes=1024 * 1024**2, processes=128)

HOLD_THREADS = """
import threading, time
threading.stack_size(256 * 1024)  # 100 threads within the address-space limit
stop = threading.Event()
for _ in range(100):
    threading.Thread(target=stop.wait, daemon=True).start()
print(threading.active_count() >= 100)
time.sleep(12)
"""

START_THREADS = """
import threading, time
threading.stack_size(256 * 1024)
time.sleep(1)
stop = threading.Event()
for _ in range(40):
    threading.Thread(target=stop.wait, daemon=True).start()
print("ok", threading.active_count() >= 40)
"""

pytestmark = [pytest.mark.sandbox, pytest.mark.kernel]

Box = Callable[[Path, CgroupLayout], KernelBox]
BOXES: dict[str, Box] = {
    "bwrap": lambda folder, layout: BwrapBox(folder, LIMITS, cgroups=layout),
    "landlock": lambda folder, layout: LandlockBox(folder, LIMITS, cgroups=layout),
}


@pytest.mark.parametrize("kind", BOXES)
def test_a_kernel_full_of_threads_does_not_starve_the_next_one(
    kind: str, tmp_path: Path, layout: CgroupLayout
) -> None:
    if kind == "landlock" and landlock_problem() is not None:
        pytest.skip(f"Landlock: {landlock_problem()}")
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    greedy, neighbour = (BOXES[kind](tmp_path / name, layout) for name in ("a", "b"))

    async def both() -> tuple[BoxRun, BoxRun]:
        holding = asyncio.create_task(run_cells(greedy, HOLD_THREADS, cell_timeout=30))
        await asyncio.sleep(4)  # the greedy kernel has started and holds its threads
        beside = run_cells(neighbour, START_THREADS, cell_timeout=30)
        held, started = await asyncio.gather(holding, beside)
        return held, started

    held, started = asyncio.run(both())
    assert held.text(0).startswith("True"), held
    assert started.statuses == ["ok"], started
    assert started.text(0) == "ok True\n"
