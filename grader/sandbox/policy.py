"""What a confined kernel may see and how it is limited: shared by the bwrap and Landlock boxes.

The filesystem view is an allow-list: the system's libraries, the Python that runs the kernel,
a few /etc files, the submission's scratch directory and the kernel's socket directory. Paths the
instructor protects (hidden checks, solutions, gradebook, output, other students) must never
overlap it: a box refuses to open rather than mount them.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

from grader.errors import SandboxUnavailable, display_path
from grader.sandbox.kernel_user import drops_privileges, kernel_ids
from grader.sandbox.limits import Limits

INNER_LAUNCHER = Path(__file__).with_name("inner.py")

SYSTEM_DIRS = ("/usr", "/bin", "/lib", "/lib64", "/sbin")
ETC_FILES = (
    "/etc/ld.so.cache",
    "/etc/localtime",
    "/etc/nsswitch.conf",
    "/etc/mime.types",
    "/etc/fonts",
    "/etc/alternatives",
    "/etc/ssl",
    "/etc/ca-certificates",
)
NOFILE = 1024
# What of a box's /proc would change the host, bound read-only over itself in every view.
PROC_TUNABLES = ("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus")
SETPRIV = "/usr/bin/setpriv"


def python_prefixes() -> list[Path]:
    """The kernel's Python: the interpreter's prefix and, for a virtualenv, the venv."""
    return list(dict.fromkeys(Path(p).resolve() for p in (sys.base_prefix, sys.prefix)))


def kernel_python() -> str:
    """The interpreter the kernel runs, as a path inside python_prefixes()."""
    executable = Path(sys.executable)
    if not any(executable.is_relative_to(prefix) for prefix in python_prefixes()):
        executable = executable.resolve()
    return str(executable)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


@lru_cache(maxsize=4)
def _real_paths(paths: tuple[Path, ...]) -> tuple[tuple[str, Path], ...]:
    """Each path resolved, once per run: every box of a class checks the same protected paths
    (one per student), and resolving them again for each box made grading a class quadratic."""
    return tuple((os.path.realpath(path), path) for path in paths)


def check_protected(visible: Iterable[Path], protected: Sequence[Path]) -> None:
    """Refuse a box whose view would include (or sit inside) a protected path."""
    secrets = _real_paths(tuple(protected))
    for path in visible:
        real = os.path.realpath(path)
        for secret_real, secret in secrets:
            if _inside(real, secret_real) or _inside(secret_real, real):
                raise SandboxUnavailable(
                    f"sandbox: the protected path {display_path(secret)} overlaps "
                    f"{display_path(path)}, which the kernel would see; move the submissions' "
                    "scratch directories and the model mirror out of the assignment, solution "
                    "and output directories"
                )


def rlimits(limits: Limits, pids_cgroup: bool) -> dict[str, int]:
    """Per-process limits set inside the box: AS gives the student a readable MemoryError
    (the cgroup bounds the whole tree), CPU is the last backstop behind the timeouts.

    RLIMIT_NPROC counts every process and thread of the kernel's host user, and every kernel
    runs as the same one (nobody): a per-user limit would be shared by the whole class, and a
    kernel holding its threads would starve the next student's. It is set only where no pids
    cgroup bounds the kernel's own tree."""
    limited = {
        "RLIMIT_AS": limits.memory_bytes,
        "RLIMIT_DATA": limits.memory_bytes,  # not the grader worker's, which it would inherit
        "RLIMIT_FSIZE": limits.file_bytes,
        "RLIMIT_NOFILE": NOFILE,
        "RLIMIT_CORE": 0,
        "RLIMIT_CPU": int(limits.notebook_timeout_s) + 60,
    }
    return limited if pids_cgroup else {**limited, "RLIMIT_NPROC": limits.processes}


def inner_command(
    limits: Limits,
    inner: str,
    *,
    seccomp: bool,
    pids_cgroup: bool,
    landlock: dict[str, list[str]] | None = None,
    python: str | None = None,
) -> list[str]:
    """The kernel's command line: the inner launcher, then ipykernel's own arguments.
    -P keeps the launcher's directory off sys.path, -s the user site."""
    config = {"rlimits": rlimits(limits, pids_cgroup), "seccomp": seccomp, "landlock": landlock}
    python = python or kernel_python()
    return [python, "-P", "-s", inner, json.dumps(config), "-f", "{connection_file}"]


# Join the kernel's cgroups, then exec the box: everything it starts inherits the limits from
# its first instruction. A failed write fails the start: a kernel never runs without its limits.
_JOIN_THEN_EXEC = (
    'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'
)


def outer_command(procs_files: Sequence[Path], argv: list[str]) -> list[str]:
    """The launcher run outside the box: /bin/sh starts in a millisecond, Python in ten."""
    return ["/bin/sh", "-c", _JOIN_THEN_EXEC, "grader-launch", *map(str, procs_files), "--", *argv]


def as_kernel_user() -> list[str]:
    """The prefix that runs a command as the kernel's unprivileged host user, with no group and
    no capability left (nothing when the grader already is that user)."""
    uid, gid = kernel_ids()
    if not drops_privileges():
        return []
    return [SETPRIV, f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--inh-caps=-all",
            "--bounding-set=-all", "--no-new-privs", "--"]  # fmt: skip
