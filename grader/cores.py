"""How many submissions to grade at once, and how many threads each kernel may use then."""

from __future__ import annotations

import os


def default_jobs() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def threads_per_kernel(jobs: int) -> int:
    """Threads each kernel may use so that `jobs` kernels at once do not oversubscribe."""
    return max(1, default_jobs() // max(1, jobs))
