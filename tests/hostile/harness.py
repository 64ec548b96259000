"""Run a list of cell sources in a KernelBox with nbclient, the way the executor will: a cell
that times out is interrupted by message, and the kernel is killed if it does not answer."""

from __future__ import annotations

import atexit
from dataclasses import dataclass

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from grader.results import ExecutionStatus
from grader.sandbox.boxes import KernelBox


@dataclass(frozen=True)
class CellRun:
    status: str  # ok | error | interrupted | timeout | dead | not-run
    text: str  # stdout, stderr and "EName: value" of an error, joined


@dataclass(frozen=True)
class BoxRun:
    cells: tuple[CellRun, ...]
    death: ExecutionStatus | None  # why the kernel died, when it did on its own

    @property
    def statuses(self) -> list[str]:
        return [cell.status for cell in self.cells]

    def text(self, index: int) -> str:
        return self.cells[index].text


def make_notebook(*sources: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


def _text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}\n")
        elif "text/plain" in output.get("data", {}):
            parts.append(output.data["text/plain"] + "\n")
    return "".join(parts)


async def run_cells(box: KernelBox, *sources: str, cell_timeout: float = 10) -> BoxRun:
    """Start the box, run the cells, close the box (always)."""
    notebook = make_notebook(*sources)
    cells: list[CellRun] = []
    death: ExecutionStatus | None = None
    await box.start()
    try:
        client = NotebookClient(notebook, km=box.km, timeout=cell_timeout, allow_errors=True)
        async with client.async_setup_kernel():
            atexit.unregister(client._cleanup_kernel)
            alive = True
            for index, cell in enumerate(notebook.cells):
                if not alive:
                    cells.append(CellRun("not-run", ""))
                    continue
                try:
                    await client.async_execute_cell(cell, index)
                    failed = any(o.output_type == "error" for o in cell.outputs)
                    cells.append(CellRun("error" if failed else "ok", _text(cell)))
                except CellTimeoutError:
                    status = await _interrupt_or_kill(box, client, cell_timeout)
                    alive = status == "interrupted"
                    cells.append(CellRun(status, _text(cell)))
                except DeadKernelError:
                    death = box.death_cause()
                    alive = False
                    cells.append(CellRun("dead", _text(cell)))
    finally:
        await box.close()
    return BoxRun(tuple(cells), death)


async def _interrupt_or_kill(box: KernelBox, client: NotebookClient, timeout: float) -> str:
    await box.km.interrupt_kernel()
    probe = nbformat.v4.new_code_cell("pass")
    client.nb.cells.append(probe)
    try:
        await client.async_execute_cell(probe, len(client.nb.cells) - 1)
    except CellTimeoutError:
        await box.kill()
        return "timeout"
    finally:
        client.nb.cells.remove(probe)
    return "interrupted"
