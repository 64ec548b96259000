"""A run's warm parent: the process that imported the assignment's `preload:` once, from which
the run's kernels (and its local workers) are forked; it ends with the run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from grader.assignment.load import Assignment
from grader.grading import GradeOptions, kernel_limits
from grader.sandbox.kernel_user import enter_private_mounts
from grader.sandbox.warm import WarmParent


def start_warm_parent_for(
    assignment: Assignment, options: GradeOptions
) -> tuple[WarmParent | None, str | None]:
    """The warm parent of the run's kernels, which imported the assignment's `preload:` once
    (None: they start fresh), and the one line that says which (None: nothing to preload)."""
    if not assignment.preload:
        if assignment.spec.preload == "auto":
            return None, "warm start: off (preload: auto, not recorded: run grader validate)"
        return None, None
    if options.fresh_kernels:
        return None, "warm start: off (--fresh-kernels); every kernel starts fresh"
    limits = kernel_limits(assignment, options)
    record = assignment.preload_record
    return options.sandbox.start_warm_parent(
        assignment.preload,
        limits,
        options.mirror,
        solution_seconds=record.seconds if record is not None else None,
    )


@contextmanager
def warm_kernels(
    assignment: Assignment, options: GradeOptions
) -> Iterator[tuple[GradeOptions, str | None]]:
    """The run's options with kernels forked from its warm parent, and the line that says so;
    the parent, and every kernel forked from it, ends with the block."""
    enter_private_mounts()  # before any worker starts: they share the run's mounts
    parent, notice = start_warm_parent_for(assignment, options)
    try:
        yield (replace(options, warm_parent=parent.socket) if parent else options), notice
    finally:
        if parent is not None:
            parent.stop()
