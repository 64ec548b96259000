"""A cell's time limit counts the kernel's CPU time: the same class gets the same grades on an
idle machine and beside CPU hogs, and an infinite loop is still stopped. Real bwrap kernels,
their real cgroups, `grader grade` in a subprocess."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from nbformat import NotebookNode

from grader.results import CellStatus
from grader.sandbox.bwrap import BwrapBox
from grader.sandbox.cgroups import CgroupLayout
from grader.sandbox.execute import ExecutedNotebook, execute_notebook
from grader.sandbox.limits import Limits
from grader.sandbox.warm import WarmBox, WarmParent
from tests.conftest import (
    equal_checks,
    grade_notebooks,
    in_bwrap_boxes,
    make_notebook,
    write_course,
    write_notebook,
)

CHECKS = equal_checks("calcul.resultat", {"resultat": 42})

# Two seconds of CPU, whatever the machine's speed and load, then the answer: against a 3 s CPU
# limit, it passes; beside 4 hogs on 2 cores it takes well over 3 s of wall clock.
BURN = (
    "import time\nstart = time.process_time()\nwhile time.process_time() - start < 2.0:\n"
    "    pass\nresultat = {}"
)
SPEC = "title: TP calcul\nlimits:\n  cell_timeout: 3\n  cell_wall_timeout: 120\n"
CRITERIA = "  - {id: calcul, title: Calcul, points: 4, checks: [calcul.resultat]}\n"


@contextmanager
def cpu_hogs(count: int) -> Iterator[None]:
    """`count` processes that burn CPU until the block ends."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, dict[str, str]]]:
    """The class graded once on an idle machine, once beside 4 CPU hogs: each run's gradebook."""
    root = tmp_path_factory.mktemp("fair")
    folder = write_course(root, "tp-calcul", SPEC, CHECKS, make_notebook(), CRITERIA)
    students = [
        write_notebook(root / "class" / "ada.ipynb", BURN.format(42)),
        write_notebook(root / "class" / "basile.ipynb", BURN.format(41)),
        write_notebook(root / "class" / "celia.ipynb", "while True:\n    pass", "resultat = 42"),
    ]
    runs: dict[str, dict[str, dict[str, str]]] = {}
    for name, hogs in (("idle", 0), ("loaded", 4)):
        with cpu_hogs(hogs):
            graded = grade_notebooks(folder, students, root / name, status=1)  # basile fails
        runs[name] = {row["student"]: row for row in graded.rows}
    return runs


@pytest.mark.slow
@in_bwrap_boxes
def test_the_same_class_gets_the_same_grades_beside_cpu_hogs(
    graded: dict[str, dict[str, dict[str, str]]],
) -> None:
    idle, loaded = graded["idle"], graded["loaded"]
    assert {s: row["score"] for s, row in idle.items()} == {
        s: row["score"] for s, row in loaded.items()
    }
    assert float(idle["ada"]["score"]) == 4
    assert float(idle["basile"]["score"]) == 0
    assert float(idle["celia"]["score"]) == 4  # the loop was interrupted; the next cell ran
    for run in (idle, loaded):
        assert run["ada"]["status"] == "ok"
        assert run["celia"]["status"] == "timeout"


LIMITS = Limits(cell_timeout_s=1, cell_wall_timeout_s=6, notebook_timeout_s=120)


@pytest.fixture(scope="module")
def warm_parent() -> Iterator[WarmParent]:
    parent = WarmParent.start([], LIMITS, None)
    yield parent
    parent.stop()


@pytest.mark.slow
@in_bwrap_boxes
@pytest.mark.parametrize("kind", ["bwrap", "warm"])
def test_a_cell_is_timed_by_its_cpu_with_a_wall_clock_backstop(
    kind: str, tmp_path: Path, layout: CgroupLayout, request: pytest.FixtureRequest
) -> None:
    def box() -> BwrapBox:
        if kind == "warm":
            parent = request.getfixturevalue("warm_parent")
            return WarmBox(tmp_path, LIMITS, parent=parent.socket, cgroups=layout)
        return BwrapBox(tmp_path, LIMITS, cgroups=layout)

    notebook = make_notebook(
        "import time\ntime.sleep(2)",  # 2 s waiting, no CPU: within its 1 s of CPU time
        "while True:\n    pass",  # CPU: interrupted after 1 s of it
        "time.sleep(30)",  # waits past the 6 s backstop: interrupted too
        "fin = True",
    )
    executed = asyncio.run(_execute(notebook, box))
    assert [cell.status for cell in executed.record.cells] == [
        CellStatus.OK,
        CellStatus.TIMEOUT,
        CellStatus.TIMEOUT,
        CellStatus.OK,
    ]


async def _execute(notebook: NotebookNode, box: Callable[[], BwrapBox]) -> ExecutedNotebook:
    executed = await execute_notebook(notebook, box, LIMITS)
    await executed.box.close()
    return executed
