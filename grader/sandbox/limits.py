"""Resource limits of one kernel, of what grader reads of a submission and of the grader's side
of the kernel, and their defaults where assignment.yaml is silent."""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "kib": 1024,
    "m": 1000**2,
    "mb": 1000**2,
    "mib": 1024**2,
    "g": 1000**3,
    "gb": 1000**3,
    "gib": 1024**3,
}


def parse_size(value: int | str) -> int:
    """`"2 GiB"` -> 2147483648; a bare integer is a number of bytes."""
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"a size cannot be negative, got {value}")
        return value
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", value)
    if not match or match.group(2).lower() not in _UNITS:
        raise ValueError(f'expected a size such as "512 MiB" or "2 GiB", got "{value}"')
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def format_size(size: int) -> str:
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= factor:
            return f"{size / factor:.3g} {unit}"
    return f"{size} B"


@dataclass(frozen=True)
class Limits:
    cell_timeout_s: float = 30.0  # CPU time of the kernel's tree, where its cgroup counts it
    cell_wall_timeout_s: float = 120.0  # the backstop: a cell that waits (sleep, input) ends too
    notebook_timeout_s: float = 300.0
    memory_bytes: int = 2 * 1024**3  # cgroup on the whole tree; RLIMIT_AS slightly below
    processes: int = 128  # tasks (threads count too: torch and ipykernel start a dozen)
    output_bytes_per_cell: int = 1024**2
    output_bytes: int = 5 * 1024**2
    message_bytes: int = 64 * 1024**2  # a larger ZeroMQ message means a hostile kernel
    file_bytes: int = 256 * 1024**2  # RLIMIT_FSIZE
    disk_bytes: int = 256 * 1024**2  # private /tmp and the scratch directory
    cpu_threads: int = 1  # OMP_NUM_THREADS and friends
    submission_bytes: int = 100 * 1024**2  # what grader copies of a student's folder
    notebook_bytes: int = 20 * 1024**2  # a larger notebook is never read
    # The grader's side, which handles the kernel's untrusted answers (grader/checks/probe.py):
    probe_answer_bytes: int = 32 * 1024**2  # one probe's answer; larger is a check error
    grader_memory_bytes: int = 3 * 1024**3  # RLIMIT_DATA of a worker grading the submission
