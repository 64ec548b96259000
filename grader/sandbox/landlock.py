"""The fallback box where namespaces are unavailable: Landlock, seccomp, rlimits and a cgroup.

Weaker than bwrap and said so: the kernel shares the host's pid view and /tmp (it gets its own
TMPDIR) and UDP is refused by seccomp only. When the grader runs as root, the kernel runs as
`nobody` without any capability, and reaches its Python, launcher, mirror and working folder
through the grader's staging binds (kernel_user.py). Files: read-only below an allow-list,
writable only in the scratch directory, the kernel's socket directory and its TMPDIR; TCP
connect/bind denied (ABI >= 4); no signal to or abstract socket of a process outside the box
(ABI >= 6); ptrace (so /proc/<pid>/environ of the grader) denied by Landlock itself.
"""

from __future__ import annotations

import os
import site
from collections.abc import Sequence
from pathlib import Path

from grader.sandbox import policy
from grader.sandbox.boxes import home_environment, kernel_environment
from grader.sandbox.confined import ConfinedBox
from grader.sandbox.kernel_user import drops_privileges, kernel_ids, reachable

READABLE = ("/proc", "/dev/urandom", "/dev/random", "/sys/devices/system/cpu", "/etc/passwd")
WRITABLE = ("/dev/null",)


class LandlockBox(ConfinedBox):
    backend = "landlock"

    def _furnish(self, protected: Sequence[Path]) -> None:
        self.tmp_dir = self.runtime_dir / "tmp"
        self.tmp_dir.mkdir(mode=0o700)
        os.chown(self.tmp_dir, *kernel_ids())
        policy.check_protected([self.runtime_dir], protected)

    def _reached(self) -> list[Path]:
        """The readable paths as the kernel reaches them (grader's own, staged when root)."""
        own = {*policy.python_prefixes(), policy.INNER_LAUNCHER, self.mirror, self.workdir}
        paths = self._visible(self.workdir, self.mirror)
        return [reachable(path) if path in own else path for path in paths]

    def _environment(self) -> dict[str, str]:
        mirror = reachable(self.mirror) if self.mirror else None
        environment = kernel_environment(self.workdir, self.limits, mirror)
        environment.update(
            home_environment(self.tmp_dir), TMPDIR=str(self.tmp_dir), PYTHONNOUSERSITE="1"
        )
        if drops_privileges():
            # At another path, an interpreter finds neither its site-packages nor the libpython
            # its RUNPATH names (and would load the system's, of another micro version).
            environment["PYTHONPATH"] = os.pathsep.join(map(_reached_path, site.getsitepackages()))
            libraries = [str(reachable(prefix) / "lib") for prefix in policy.python_prefixes()]
            environment["LD_LIBRARY_PATH"] = os.pathsep.join(libraries)
        return environment

    def _kernel_argv(self) -> list[str]:
        rules = {
            "read": [str(p) for p in [*self._reached(), *map(Path, READABLE)]],
            "write": [str(reachable(self.workdir)), str(self.kernel_dir), str(self.tmp_dir)],
        }
        rules["write"] += WRITABLE
        inner = policy.inner_command(
            self.limits,
            str(reachable(policy.INNER_LAUNCHER)),
            seccomp=self.seccomp,
            pids_cgroup=self.cgroup is not None,
            landlock=rules,
            python=_reachable_python(),
        )
        return policy.outer_command(self._cgroup_procs(), [*policy.as_kernel_user(), *inner])


def _reached_path(path: str) -> str:
    """A path below the kernel's Python, as the kernel's user reaches it (the staged prefix)."""
    for prefix in policy.python_prefixes():
        if Path(path).is_relative_to(prefix):
            return str(reachable(prefix) / Path(path).relative_to(prefix))
    return path


def _reachable_python() -> str:
    """The interpreter itself, not a virtualenv's link to it: a venv's pyvenv.cfg names its base
    by a path below /root, where the kernel's user finds no standard library."""
    return _reached_path(os.path.realpath(policy.kernel_python()))
