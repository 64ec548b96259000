"""One crash, grade the rest: a bug met while grading or storing one student is that student's.

Every driver of a class (one process, the local worker pool, a Dask cluster) and the output
tree turn such a bug into a `Crash` beside the reports, and go on with the next student; the
command prints each traceback at the end and exits with the bug's code.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Crash:
    """A bug in grader while grading or storing `student`, with its traceback."""

    student: str
    traceback: str


def guarded(student: str, action: Callable[[], T]) -> T | Crash:
    """What `action` returns, or the Crash of `student` if it raises."""
    try:
        return action()
    except Exception:  # a bug, or one student's data: theirs alone, the others go on
        return Crash(student, traceback.format_exc())
