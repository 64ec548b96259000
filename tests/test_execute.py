"""Execution in a real kernel: every failure of the student's code is recorded, never raised."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from grader.results import CellStatus, ExecutionStatus
from grader.sandbox.boxes import UnsandboxedBox
from grader.sandbox.execute import ExecutedNotebook, execute_notebook
from grader.sandbox.limits import Limits
from tests.conftest import make_notebook

pytestmark = pytest.mark.kernel

FAST = Limits(
    cell_timeout_s=3, notebook_timeout_s=30, output_bytes_per_cell=10_000, output_bytes=25_000
)


def run(tmp_path: Path, *cells: str, limits: Limits = FAST) -> ExecutedNotebook:
    async def go() -> ExecutedNotebook:
        opened: list[UnsandboxedBox] = []

        def open_box() -> UnsandboxedBox:
            opened.append(UnsandboxedBox(tmp_path, limits))
            return opened[-1]

        executed = await execute_notebook(make_notebook(*cells), open_box, limits)
        if executed.client is not None:
            executed.client.kc.stop_channels()
        await executed.box.close()
        assert all(not box.km.has_kernel for box in opened)  # no kernel left behind
        return executed

    return asyncio.run(go())


def statuses(executed: ExecutedNotebook) -> list[CellStatus]:
    return [cell.status for cell in executed.record.cells]


def test_a_cell_that_raises_is_recorded_and_the_next_cells_run(tmp_path: Path) -> None:
    executed = run(tmp_path, "x = 1", "1 / 0", "y = x + 1\nprint(y)")
    assert statuses(executed) == [CellStatus.OK, CellStatus.ERROR, CellStatus.OK]
    assert executed.record.cells[1].error == "ZeroDivisionError: division by zero"
    assert executed.record.status is ExecutionStatus.ERROR
    assert executed.notebook.cells[2].outputs[0]["text"] == "2\n"
    assert executed.alive


def test_an_infinite_loop_is_interrupted_and_the_notebook_goes_on(tmp_path: Path) -> None:
    executed = run(tmp_path, "while True:\n    pass", "print('après')")
    assert statuses(executed) == [CellStatus.TIMEOUT, CellStatus.OK]
    assert executed.record.message == (
        "La cellule 1 a dépassé la limite de 3 s de calcul (120 s de durée au plus) et a été "
        "interrompue ; "
        "les cellules suivantes ont été exécutées."
    )
    assert executed.record.cells[0].error is not None
    assert executed.record.cells[0].error.startswith("KeyboardInterrupt")


def test_a_loop_that_ignores_the_interrupt_is_killed_and_the_notebook_goes_on(
    tmp_path: Path,
) -> None:
    stubborn = "while True:\n    try:\n        while True:\n            pass\n    except KeyboardInterrupt:\n        pass"
    executed = run(tmp_path, "x = 1", stubborn, "print(x)")
    assert statuses(executed) == [CellStatus.OK, CellStatus.TIMEOUT, CellStatus.OK]
    assert executed.record.status is ExecutionStatus.TIMEOUT
    assert executed.record.message == (
        "La cellule 2 a dépassé la limite de 3 s de calcul (120 s de durée au plus) et ne "
        "répondait plus à l'interruption ; "
        "le noyau a été arrêté. Le notebook a été relancé dans un nouveau noyau sans la "
        "cellule 2 (les cellules précédentes ont été réexécutées) pour vérifier la suite."
    )
    assert executed.notebook.cells[2].outputs[0]["text"] == "1\n"  # the state was replayed
    assert executed.alive


def test_a_kernel_that_exits_is_recorded_as_killed(tmp_path: Path) -> None:
    executed = run(tmp_path, "x = 1", "import os\nos._exit(3)", "print(x)")
    assert statuses(executed) == [CellStatus.OK, CellStatus.KILLED, CellStatus.OK]
    assert executed.record.status is ExecutionStatus.KILLED
    assert executed.record.message.startswith(
        "Le noyau s'est arrêté pendant l'exécution de la cellule 2 (sortie brutale, signal ou "
        "plantage)"
    )


def test_restarts_are_bounded(tmp_path: Path) -> None:
    kill = "import os\nos._exit(1)"
    executed = run(tmp_path, "x = 1", kill, kill, kill, "print(x)")
    assert statuses(executed) == [CellStatus.OK] + [CellStatus.KILLED] * 3 + [CellStatus.NOT_RUN]
    assert not executed.alive


def test_output_is_capped_per_cell_and_per_notebook(tmp_path: Path) -> None:
    flood = "for i in range(3000):\n    print('x' * 99)"
    executed = run(tmp_path, flood, flood, flood, "print('fin')")
    cells = executed.notebook.cells
    kept = [sum(len(o.get("text", "")) for o in cell.outputs) for cell in cells]
    assert all(size < 12_000 for size in kept)  # 10 kB cap + the notice
    assert sum(kept) < 27_000
    assert "sortie tronquée" in cells[0].outputs[-1]["text"]
    assert statuses(executed)[:3] == [CellStatus.OUTPUT_LIMIT] * 3
    assert executed.record.status is ExecutionStatus.OUTPUT_LIMIT


def test_the_notebook_deadline_stops_everything(tmp_path: Path) -> None:
    limits = replace(FAST, cell_timeout_s=10, notebook_timeout_s=2)
    executed = run(tmp_path, "import time\ntime.sleep(5)", "print('jamais')", limits=limits)
    assert statuses(executed) == [CellStatus.TIMEOUT, CellStatus.NOT_RUN]
    assert executed.record.message == (
        "Le notebook a dépassé sa durée limite de 2 s ; les cellules suivantes n'ont pas été "
        "exécutées."
    )


def test_the_kernel_sees_none_of_the_graders_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRADER_TEST_SECRET", "s3cr3t")
    executed = run(tmp_path, "import os\nprint(sorted(k for k in os.environ if 'SECRET' in k))")
    assert executed.notebook.cells[0].outputs[0]["text"] == "[]\n"
