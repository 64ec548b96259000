"""The fallback box where namespaces are unavailable: Landlock, seccomp, rlimits and a cgroup.

Weaker than bwrap and said so: the kernel shares the host's pid view and /tmp (it gets its own
TMPDIR), keeps the grader's uid (without any capability when that is root), and UDP is refused
by seccomp only. Files: read-only below an allow-list, writable only in the scratch directory,
the kernel's socket directory and its TMPDIR; TCP connect/bind denied (ABI >= 4); no signal to
or abstract socket of a process outside the box (ABI >= 6); ptrace (so /proc/<pid>/environ of
the grader) denied by Landlock itself.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from grader.sandbox import policy
from grader.sandbox.backend import home_environment, kernel_environment
from grader.sandbox.cgroups import CgroupLayout, ConfinedBox
from grader.sandbox.limits import Limits

SETPRIV = "/usr/bin/setpriv"
READABLE = ("/proc", "/dev/urandom", "/dev/random", "/sys/devices/system/cpu", "/etc/passwd")
WRITABLE = ("/dev/null",)


class LandlockBox(ConfinedBox):
    backend = "landlock"

    def __init__(
        self,
        workdir: Path,
        limits: Limits,
        *,
        protected: Sequence[Path] = (),
        mirror: Path | None = None,
        cgroups: CgroupLayout | None = None,
        seccomp: bool = True,
    ) -> None:
        policy.check_protected(self._readable(workdir, mirror), protected)
        super().__init__(workdir, limits, mirror, cgroups, seccomp)
        self.tmp_dir = self.runtime_dir / "tmp"
        try:
            self.tmp_dir.mkdir()
            policy.check_protected([self.runtime_dir], protected)
        except BaseException:
            self._abandon()
            raise

    @staticmethod
    def _readable(workdir: Path, mirror: Path | None) -> list[Path]:
        paths = [*map(Path, policy.SYSTEM_DIRS), *policy.python_prefixes(), workdir]
        paths += [*map(Path, policy.ETC_FILES), policy.INNER_LAUNCHER]
        return paths + ([mirror] if mirror else [])

    def _environment(self) -> dict[str, str]:
        environment = kernel_environment(self.workdir, self.limits, self.mirror)
        environment.update(
            home_environment(self.tmp_dir), TMPDIR=str(self.tmp_dir), PYTHONNOUSERSITE="1"
        )
        return environment

    def _kernel_argv(self) -> list[str]:
        rules = {
            "read": [
                str(p) for p in [*self._readable(self.workdir, self.mirror), *map(Path, READABLE)]
            ],
            "write": [str(self.workdir), str(self.kernel_dir), str(self.tmp_dir), *WRITABLE],
        }
        inner = policy.inner_command(
            self.limits, str(policy.INNER_LAUNCHER), seccomp=self.seccomp, landlock=rules
        )
        if os.geteuid() == 0:  # root keeps its uid (Python may live under /root) but no capability
            inner = [SETPRIV, "--bounding-set=-all", "--inh-caps=-all", "--no-new-privs", *inner]
        return policy.outer_command(self._cgroup_procs(), inner)
