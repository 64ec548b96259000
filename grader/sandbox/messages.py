"""What a student reads when a limit stopped their notebook, as messages (grader.messages).

Cells are numbered from 1 here, as the student sees them (nbformat indexes from 0).
"""

from __future__ import annotations

from grader import formats
from grader.messages import Message, say, seconds, size
from grader.results import ExecutionStatus
from grader.sandbox.limits import Limits


def french_size(value: int) -> str:
    """1.5 GiB -> "1,5 Gio" (grader.formats.size in French)."""
    return formats.size(value, "fr")


def _cell_limit(limits: Limits) -> Message:
    """A cell's two limits as a student reads them: its computing time, and its whole duration."""
    return say(
        "limit.cell_time",
        cpu=seconds(limits.cell_timeout_s),
        wall=seconds(limits.cell_wall_timeout_s),
    )


def interrupted_message(limits: Limits, cell_index: int) -> Message:
    """A cell stopped by the interrupt at its time limit: the notebook went on."""
    return say("limit.interrupted", cell=cell_index + 1, limit=_cell_limit(limits))


def truncated_message(limits: Limits, cell_index: int) -> Message:
    """A cell whose output went over its cap: the rest was dropped, the notebook went on."""
    cap = min(limits.output_bytes_per_cell, limits.output_bytes)
    return say("limit.truncated", cell=cell_index + 1, limit=size(cap))


def disk_full_message(limits: Limits, cell_index: int) -> Message:
    """A cell whose write met the disk limit (its working folder, or /tmp): the cell failed."""
    return say("limit.disk_full", cell=cell_index + 1, limit=size(limits.disk_bytes))


def restart_message(cell_index: int) -> Message:
    """The notebook went on after a lost kernel: earlier cells replayed in a fresh one."""
    return say("limit.restarted", cell=cell_index + 1)


def limit_message(
    status: ExecutionStatus, limits: Limits, cell_index: int | None = None
) -> Message | None:
    """The message for a limit hit (None for OK and ERROR, which are not limits).
    `cell_index` is the 0-based index of the cell that was running; None for the whole notebook."""
    if cell_index is None:
        where, subject = say("where.notebook"), say("subject.notebook")
    else:
        where, subject = (
            say("where.cell", cell=cell_index + 1),
            say("subject.cell", cell=cell_index + 1),
        )
    if status == ExecutionStatus.TIMEOUT:
        if cell_index is None:
            return say("limit.notebook_timeout", limit=seconds(limits.notebook_timeout_s))
        return say("limit.cell_timeout", cell=cell_index + 1, limit=_cell_limit(limits))
    if status == ExecutionStatus.MEMORY:
        return say("limit.memory", subject=subject, limit=size(limits.memory_bytes))
    if status == ExecutionStatus.OUTPUT_LIMIT:
        return say("limit.output", subject=subject, limit=size(limits.message_bytes))
    if status == ExecutionStatus.KILLED:
        return say("limit.killed", where=where)
    if status == ExecutionStatus.PROTOCOL_ERROR:
        return say("limit.protocol", where=where)
    if status == ExecutionStatus.STARTUP_FAILED:
        return say("limit.startup_failed")
    return None
