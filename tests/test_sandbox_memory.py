"""Peak memory per kernel, read from its real cgroup before the cgroup is removed: a kernel
that held 200 MB says so, a trivial one much less, a replayed notebook keeps its highest box."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader.results import CellStatus
from grader.sandbox.boxes import KernelBox, UnsandboxedBox
from grader.sandbox.bwrap import BwrapBox
from grader.sandbox.cgroups import CgroupLayout, KernelCgroup
from grader.sandbox.execute import ExecutedNotebook, execute_notebook
from grader.sandbox.limits import Limits
from grader.sandbox.selection import bwrap_problem
from tests.conftest import make_notebook
from tests.hostile.harness import run_cells
from tests.test_batch_resume import environment, make_course, notebook

MiB = 1024**2
LIMITS = Limits(cell_timeout_s=10, notebook_timeout_s=60, memory_bytes=1024 * MiB, processes=48)
HOLD_200MB = "held = b'x' * (200 * 1024**2)  # written, so every page is charged"

pytestmark = pytest.mark.kernel


@pytest.fixture
def bwrap_layout(layout: CgroupLayout) -> CgroupLayout:
    if (problem := bwrap_problem()) is not None:
        pytest.skip(f"bwrap box: {problem}")
    return layout


def peak_after(box: KernelBox, *sources: str) -> int | None:
    asyncio.run(run_cells(box, *sources))
    return box.peak_memory_bytes


@pytest.mark.sandbox
def test_a_kernel_holding_200mb_peaks_above_200mb_a_trivial_one_far_below(
    tmp_path: Path, bwrap_layout: CgroupLayout
) -> None:
    heavy = peak_after(BwrapBox(tmp_path, LIMITS, cgroups=bwrap_layout), HOLD_200MB, "len(held)")
    light = peak_after(BwrapBox(tmp_path, LIMITS, cgroups=bwrap_layout), "1 + 1")
    assert heavy is not None and light is not None
    assert heavy >= 200 * MiB
    assert light < heavy - 150 * MiB
    assert light > 10 * MiB  # a Python kernel is never that small: the figure is real


@pytest.mark.sandbox
def test_the_peak_is_read_from_the_cgroup_that_measured_it(layout: CgroupLayout) -> None:
    cgroup = KernelCgroup(layout, 256 * MiB, 16)
    try:
        assert cgroup.peak_memory() == 0  # nothing ever ran in it
    finally:
        cgroup.remove()
    assert cgroup.peak_memory() is None  # removed: nothing left to read


def execute(
    tmp_path: Path, open_box: type[KernelBox], *cells: str, **box: object
) -> ExecutedNotebook:
    async def go() -> ExecutedNotebook:
        executed = await execute_notebook(
            make_notebook(*cells), lambda: open_box(tmp_path, LIMITS, **box), LIMITS
        )
        if executed.client is not None:
            executed.client.kc.stop_channels()
        await executed.box.close()
        return executed

    return asyncio.run(go())


@pytest.mark.sandbox
def test_a_replayed_notebook_keeps_the_peak_of_its_lost_kernel(
    tmp_path: Path, bwrap_layout: CgroupLayout
) -> None:
    # The first kernel holds 200 MB then dies; the replay finds the marker and stays small.
    first_run_only = (
        "import os\n"
        "if not os.path.exists('deja-vu'):\n"
        "    open('deja-vu', 'w').close()\n"
        f"    {HOLD_200MB}"
    )
    executed = execute(
        tmp_path, BwrapBox, first_run_only, "os._exit(1)", "x = 1", cgroups=bwrap_layout
    )
    assert [c.status for c in executed.record.cells] == [
        CellStatus.OK,
        CellStatus.KILLED,
        CellStatus.OK,
    ]
    assert len(executed.boxes) == 2 and executed.boxes[-1] is executed.box
    last = executed.box.peak_memory_bytes
    peak = executed.peak_memory_bytes()
    assert last is not None and peak is not None
    assert peak >= 200 * MiB > last


def test_an_unsandboxed_kernel_has_no_cgroup_so_no_peak(tmp_path: Path) -> None:
    executed = execute(tmp_path, UnsandboxedBox, HOLD_200MB)
    assert executed.record.cells[0].status is CellStatus.OK
    assert executed.peak_memory_bytes() is None


@pytest.mark.sandbox
@pytest.mark.slow
def test_grade_prints_throughput_and_kernels_peak_memory(
    tmp_path: Path, bwrap_layout: CgroupLayout
) -> None:
    assignment = make_course(tmp_path / "course")
    heavy = tmp_path / "class" / "s01.ipynb"
    light = tmp_path / "class" / "s02.ipynb"
    heavy.parent.mkdir()
    nbformat.write(notebook("## Q1", HOLD_200MB, "total = 6.0\npoids = 1"), heavy)
    nbformat.write(notebook("## Q1", "total = 6.0\npoids = 1"), light)
    out = tmp_path / "out"
    command = [
        sys.executable, "-m", "grader", "grade", str(assignment), str(heavy), str(light),
        "--out", str(out), "-j", "1", "--sandbox", "bwrap", "--seed", "7",
    ]  # fmt: skip
    first = subprocess.run(command, env=environment(), capture_output=True, text=True, timeout=300)
    assert first.returncode == 1, first.stderr  # poids is wrong in both
    assert re.search(r"^graded 2 notebook\(s\) in [\d.]+ s \([\d.]+ notebooks/min\)$",
                     first.stdout, re.MULTILINE), first.stdout  # fmt: skip
    line = re.search(r"^kernels' peak memory: median (\d+) MiB, max (\d+) MiB \(s01\)$",
                     first.stdout, re.MULTILINE)  # fmt: skip
    assert line, first.stdout
    assert int(line.group(2)) >= 200 and int(line.group(1)) < int(line.group(2))

    peaks = {
        student: json.loads((out / "results" / f"{student}.json").read_text())["execution"][
            "peak_memory_bytes"
        ]
        for student in ("s01", "s02")
    }
    assert peaks["s01"] >= 200 * MiB > peaks["s02"] + 100 * MiB
    assert "Mémoire maximale" in (out / "summary.html").read_text()

    again = subprocess.run(command, env=environment(), capture_output=True, text=True, timeout=300)
    assert "2 unchanged submission(s) already graded" in again.stdout, again.stderr
    assert "notebooks/min" not in again.stdout  # nothing graded in this run
    assert line.group(0) in again.stdout  # the stored results still know their peaks
