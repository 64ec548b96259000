"""Run a notebook in a kernel box, cell by cell, within its limits; keep the kernel for probes.

Every failure of the student's code becomes data in the ExecutionRecord: a cell that raises, a
cell timeout (interrupt, then kill), the notebook deadline, a dead kernel, too much output, a
message that breaks the Jupyter protocol. Nothing a student does raises out of here.

A cell's time limit counts the CPU time of the kernel's process tree (read from its cgroup), not
the wall clock: on a loaded machine a correct cell takes longer but uses the same CPU, so it
gets the same grade. A wall-clock backstop several times larger still ends a cell that waits
(a sleep, a lock); a box that cannot count CPU time falls back to the wall clock.
"""

from __future__ import annotations

import asyncio
import errno
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellControlSignal, CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbformat.v4 import new_output

from grader.messages import Message, sentences
from grader.results import (
    CellRecord,
    CellStatus,
    ExecutionRecord,
    ExecutionStatus,
    message_fields,
)
from grader.sandbox.boxes import KernelBox, StartupFailed
from grader.sandbox.figures import INSTALL
from grader.sandbox.limits import Limits
from grader.sandbox.messages import (
    disk_full_message,
    french_size,
    interrupted_message,
    limit_message,
    restart_message,
    truncated_message,
)
from grader.sandbox.protocol import ProtocolViolation, violation
from grader.sandbox.shell import KERNEL_SETUP, SKIPPED_MESSAGE, runs_shell

_TRUNCATED = "\n[grader : sortie tronquée, limite de {limit} atteinte]\n"


CLOCK_TICK_S = 0.25  # how often a running cell's time is looked at


class CellClock:
    """The time a cell has used: CPU seconds of the kernel's tree when `cpu` measures them (None
    otherwise), against its limit, and wall-clock seconds against the backstop."""

    def __init__(self, cpu: Callable[[], float | None], limits: Limits) -> None:
        self.cpu = cpu
        self.limits = limits
        self.restart()

    def restart(self) -> None:
        """Count from now: at the start of the cell, and again after the interrupt (the grace)."""
        self.cpu_start = self.cpu()
        self.wall_start = time.monotonic()

    def expired(self) -> bool:
        wall = time.monotonic() - self.wall_start
        used = self.cpu()
        if used is None or self.cpu_start is None:
            return wall >= self.limits.cell_timeout_s
        return used - self.cpu_start >= self.limits.cell_timeout_s or (
            wall >= self.limits.cell_wall_timeout_s
        )


class CappedNotebookClient(NotebookClient):
    """nbclient with output caps; the cell's time limit is watched beside it (_watch_clock)."""

    def __init__(self, nb: NotebookNode, limits: Limits, km: AsyncKernelManager) -> None:
        super().__init__(
            nb,
            km=km,
            allow_errors=True,
            record_timing=False,
        )
        self.async_km = km
        self.limits = limits
        self.notebook_output = 0
        self.cell_output: dict[int, int] = {}
        self.truncated_cells: set[int] = set()
        self.interrupted = False
        self.clock = CellClock(lambda: None, limits)

    def process_message(
        self, msg: dict[str, Any], cell: NotebookNode, cell_index: int
    ) -> NotebookNode | None:
        """nbclient's handling of one message from the kernel, which the kernel wrote: a message
        it cannot handle (a widget's state of the wrong shape...) breaks the protocol."""
        try:
            return super().process_message(msg, cell, cell_index)
        except CellControlSignal:  # the cell is complete
            raise
        except Exception as exc:
            assert self.kc is not None  # messages come through it
            reason = f"nbclient cannot handle a {msg.get('msg_type')!r:.80}: {exc!r:.200}"
            raise violation(self.kc.session, reason) from None

    def output(
        self, outs: list[NotebookNode], msg: dict[str, Any], display_id: str | None, index: int
    ) -> NotebookNode | None:
        if msg["msg_type"] == "error":  # always kept, but bounded
            content = msg["content"]
            content["evalue"] = str(content.get("evalue", ""))[:2000]
            content["traceback"] = [str(line)[:2000] for line in content.get("traceback", [])[-20:]]
            return super().output(outs, msg, display_id, index)
        size = _content_size(msg["content"])
        used = self.cell_output.get(index, 0)
        if (
            used + size > self.limits.output_bytes_per_cell
            or self.notebook_output + size > self.limits.output_bytes
        ):
            if index not in self.truncated_cells:
                self.truncated_cells.add(index)
                limit = min(self.limits.output_bytes_per_cell, self.limits.output_bytes)
                notice = _TRUNCATED.format(limit=french_size(limit))
                outs.append(new_output("stream", name="stderr", text=notice))  # type: ignore[no-untyped-call]
            return None
        self.cell_output[index] = used + size
        self.notebook_output += size
        return super().output(outs, msg, display_id, index)


def _content_size(content: dict[str, Any]) -> int:
    if "text" in content:
        return len(str(content["text"]).encode("utf-8", "replace"))
    data = content.get("data") or {}
    return sum(len(str(value)) for value in data.values())


@dataclass
class ExecutedNotebook:
    """The outcome of execution, and the live kernel when it survived (for the probes)."""

    record: ExecutionRecord
    notebook: NotebookNode
    client: CappedNotebookClient | None
    box: KernelBox
    alive: bool
    boxes: list[KernelBox] = field(default_factory=list)  # every box it used, `box` last

    def peak_memory_bytes(self) -> int | None:
        """The highest peak of the notebook's kernels (a lost kernel is replayed in a new box);
        known once every box is closed, None without cgroups."""
        peaks = [b.peak_memory_bytes for b in self.boxes if b.peak_memory_bytes is not None]
        return max(peaks, default=None)


@dataclass
class _CellOutcome:
    record: CellRecord
    status: ExecutionStatus
    message: Message | None = None
    kernel_lost: bool = False  # killed, or stuck: no later cell can run in this kernel
    deadline: bool = False  # the notebook's time is up: nothing more runs
    detail: str | None = None  # for the instructor: how the kernel broke the protocol


_SEVERITY = [
    ExecutionStatus.OK,
    ExecutionStatus.ERROR,
    ExecutionStatus.OUTPUT_LIMIT,
    ExecutionStatus.TIMEOUT,
    ExecutionStatus.KILLED,
    ExecutionStatus.PROTOCOL_ERROR,
    ExecutionStatus.MEMORY,
    ExecutionStatus.STARTUP_FAILED,
]


OpenBox = Callable[[], KernelBox]
MAX_RESTARTS = 2  # kernels lost to one cell, after which the notebook is run again without it


async def execute_notebook(nb: NotebookNode, open_box: OpenBox, limits: Limits) -> ExecutedNotebook:
    """Run every code cell in order in a box from `open_box`; return with the kernel running.

    When a cell loses the kernel (killed at its time limit, out of memory, `os._exit`), the
    notebook goes on where it can: a fresh kernel replays the cells before it, then runs the
    cells after it. At most MAX_RESTARTS times, and always within the notebook's deadline.
    The caller closes the returned box; the executor closes the boxes it gave up.
    """
    boxes: list[KernelBox] = []

    def opener() -> KernelBox:
        boxes.append(open_box())
        return boxes[-1]

    try:
        executed = await _execute(nb, opener, limits)
        executed.boxes = boxes
        return executed
    except BaseException:  # a bug: still leave no kernel behind
        if boxes:
            await boxes[-1].close()
        raise


async def _execute(nb: NotebookNode, open_box: OpenBox, limits: Limits) -> ExecutedNotebook:
    started = time.monotonic()
    deadline = started + limits.notebook_timeout_s
    _clear_outputs(nb)
    box = open_box()
    client = await _start(nb, box, limits)
    if isinstance(client, ExecutedNotebook):
        return client
    code_cells = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    records: dict[int, CellRecord] = {}
    lost: list[int] = []  # cells that lost a kernel: never run again
    status, alive = ExecutionStatus.OK, True
    messages: list[Message] = []
    details: list[str] = []
    if any(runs_shell(nb.cells[i].source) for i in code_cells):
        messages.append(SKIPPED_MESSAGE)
    for position, index in enumerate(code_cells):
        outcome = await _run_cell(client, box, index, limits, deadline)
        records[index] = outcome.record
        if _SEVERITY.index(outcome.status) > _SEVERITY.index(status):
            status = outcome.status
        if outcome.message and outcome.message not in messages:
            messages.append(outcome.message)
        if outcome.detail:
            details.append(outcome.detail)
        if not outcome.kernel_lost:
            continue
        lost.append(index)
        alive = False
        if outcome.deadline or len(lost) > MAX_RESTARTS:  # else restart, even after the last
            break  # cell: the checks need a kernel that holds the notebook's state
        await box.close()
        box = open_box()
        restarted = await _start(nb, box, limits)
        if isinstance(restarted, ExecutedNotebook):
            break
        client = restarted
        if not await _replay(
            client, box, [i for i in code_cells[:position] if i not in lost], limits, deadline
        ):
            break
        alive = True
        messages.append(restart_message(index))
    cells = tuple(records.get(i, CellRecord(i, CellStatus.NOT_RUN, 0.0)) for i in code_cells)
    record = ExecutionRecord(
        status=status,
        duration_s=round(time.monotonic() - started, 3),
        cells=cells,
        **message_fields(sentences(messages)),
        sandbox=box.backend,
        detail="\n".join(details) or None,
    )
    return ExecutedNotebook(record, nb, client, box, alive=alive and await _is_alive(client))


async def _start(
    nb: NotebookNode, box: KernelBox, limits: Limits
) -> CappedNotebookClient | ExecutedNotebook:
    """A client on the box's started kernel, or the startup-failed result."""
    started = time.monotonic()
    client = CappedNotebookClient(nb, limits, km=box.km)
    try:
        client.kc = await box.start()
        client.kc.allow_stdin = False
        await _without_shell(client.kc)
        await _watch_figures(client.kc)
    except Exception as exc:  # StartupFailed, or a kernel that never answered
        detail = str(exc) if isinstance(exc, StartupFailed) else f"{exc!r}\n{box.log_tail()}"
        record = ExecutionRecord(
            status=ExecutionStatus.STARTUP_FAILED,
            duration_s=round(time.monotonic() - started, 3),
            **message_fields(limit_message(ExecutionStatus.STARTUP_FAILED, limits)),
            sandbox=box.backend,
            detail=detail,
        )
        return ExecutedNotebook(record, nb, None, box, alive=False)
    return client


def _clear_outputs(nb: NotebookNode) -> None:
    """Only what runs at grading counts: the outputs saved in the notebook (a stale error in a
    cell since emptied, say) are dropped before any cell runs."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None


async def _without_shell(kc: Any) -> None:
    """Run grader/sandbox/shell.py's setup in the new kernel, silently, before any cell."""
    reply = await _silent(kc, KERNEL_SETUP, {})
    if reply.get("status") != "ok":
        raise RuntimeError(f"the kernel's set-up failed: {reply!r:.500}")


MODULES_EXPRESSION = "'\\n'.join(sorted(__import__('sys').modules))"


async def kernel_modules(kc: Any) -> str:
    """The names of the modules the kernel holds, one a line, as the repr of a str (the text
    of MODULES_EXPRESSION); "" if it does not say. For `preload: auto`."""
    answer: Any = await _silent(kc, "", {"modules": MODULES_EXPRESSION})
    for key in ("user_expressions", "modules", "data", "text/plain"):  # any shape: kernel data
        answer = answer.get(key) if isinstance(answer, dict) else None
    return answer if isinstance(answer, str) else ""


async def _silent(
    kc: Any, code: str, expressions: dict[str, str], timeout_s: float = 30
) -> dict[str, Any]:
    """The content of the kernel's reply to `code`, run without output nor history."""
    msg_id = kc.execute(code, silent=True, store_history=False, user_expressions=expressions)
    deadline = time.monotonic() + timeout_s
    while True:
        reply = await kc.get_shell_msg(timeout=max(0.0, deadline - time.monotonic()))
        if reply["parent_header"].get("msg_id") == msg_id:
            content: dict[str, Any] = reply["content"]
            return content


async def _watch_figures(kc: Any) -> None:
    """Install the figure recorder (grader.sandbox.figures) before any cell runs."""
    reply = await _silent(kc, "", {"figures": INSTALL})
    installed = (reply.get("user_expressions") or {}).get("figures") or {}
    if installed.get("status") != "ok":
        raise RuntimeError(f"the figure recorder's set-up failed: {installed!r:.500}")


async def _replay(
    client: CappedNotebookClient, box: KernelBox, cells: list[int], limits: Limits, deadline: float
) -> bool:
    """Run again the cells before a lost one, so the next cells find their state."""
    for index in cells:
        if (await _run_cell(client, box, index, limits, deadline)).kernel_lost:
            return False
    return True


async def _run_cell(
    client: CappedNotebookClient, box: KernelBox, index: int, limits: Limits, deadline: float
) -> _CellOutcome:
    cell = client.nb.cells[index]
    client.interrupted = False
    client.clock = CellClock(box.cpu_seconds, limits)
    started = time.monotonic()

    def outcome(status: CellStatus, error: str | None = None) -> CellRecord:
        return CellRecord(index, status, round(time.monotonic() - started, 3), error)

    task = asyncio.ensure_future(client.async_execute_cell(cell, index))
    watch = asyncio.ensure_future(_watch_clock(client))
    try:
        done, _ = await asyncio.wait(
            {task, watch},
            timeout=max(0.0, deadline - time.monotonic()),
            return_when=asyncio.FIRST_COMPLETED,
        )
        watch.cancel()
        if task not in done:
            task.cancel()  # nbclient reports its cancellation as a dead kernel: ignore that
            await asyncio.gather(task, watch, return_exceptions=True)
            raise CellTimeoutError("the cell ignored the interrupt") if done else TimeoutError
        task.result()
    except CellTimeoutError:  # the cell ignored the interrupt
        await box.kill()
        sentence = limit_message(ExecutionStatus.TIMEOUT, limits, index)
        return _CellOutcome(outcome(CellStatus.TIMEOUT), ExecutionStatus.TIMEOUT, sentence, True)
    except TimeoutError:  # the notebook's deadline
        await box.kill()
        sentence = limit_message(ExecutionStatus.TIMEOUT, limits, None)
        return _CellOutcome(
            outcome(CellStatus.TIMEOUT), ExecutionStatus.TIMEOUT, sentence, True, deadline=True
        )
    except (DeadKernelError, ProtocolViolation):  # a violation kills the kernel
        cause = box.death_cause()
        sentence = limit_message(cause, limits, index)
        return _CellOutcome(
            outcome(CellStatus.KILLED), cause, sentence, True, detail=box.protocol_violation
        )

    error = _cell_error(cell)
    if client.interrupted:
        sentence = interrupted_message(limits, index)
        return _CellOutcome(outcome(CellStatus.TIMEOUT, error), ExecutionStatus.TIMEOUT, sentence)
    if index in client.truncated_cells:
        sentence = truncated_message(limits, index)
        return _CellOutcome(
            outcome(CellStatus.OUTPUT_LIMIT, error), ExecutionStatus.OUTPUT_LIMIT, sentence
        )
    if error:
        sentence = disk_full_message(limits, index) if _DISK_FULL in error else None
        return _CellOutcome(outcome(CellStatus.ERROR, error), ExecutionStatus.ERROR, sentence)
    return _CellOutcome(outcome(CellStatus.OK), ExecutionStatus.OK)


async def _watch_clock(client: CappedNotebookClient) -> None:
    """Interrupt the running cell when its clock expires; return when it expires again (the
    cell ignored the interrupt). Beside nbclient, whose own timeout would stop its watch of
    the kernel's life at its first expiry."""
    while True:
        await asyncio.sleep(CLOCK_TICK_S)
        if not client.clock.expired():
            continue
        if client.interrupted:
            return
        client.interrupted = True  # KeyboardInterrupt in the cell, then as long again
        await client.async_km.interrupt_kernel()
        client.clock.restart()


_DISK_FULL = f"[Errno {errno.ENOSPC}]"  # OSError's text when a write met the disk limit


def _cell_error(cell: NotebookNode) -> str | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"[:500]
    return None


async def _is_alive(client: CappedNotebookClient) -> bool:
    try:
        return bool(await client.async_km.is_alive())
    except Exception:
        return False
