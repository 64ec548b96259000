"""The base of the confined boxes (bwrap and Landlock): a cgroup per kernel, and seccomp.

The cgroup is made before the kernel starts and its launcher joins it, so that a death is read
from it (out of memory or killed) and everything the kernel forked dies and is removed with it.
"""

from __future__ import annotations

import asyncio
from abc import abstractmethod
from collections.abc import Sequence
from pathlib import Path

from grader.results import ExecutionStatus
from grader.sandbox import policy
from grader.sandbox.boxes import KernelBox
from grader.sandbox.cgroups import CgroupLayout, KernelCgroup
from grader.sandbox.kernel_user import hand_over, release
from grader.sandbox.limits import Limits


class ConfinedBox(KernelBox):
    """A box whose kernel runs in its own cgroup (when the machine has one) and under seccomp.

    What bwrap and Landlock boxes share: the cgroup made before the launch, the cause of a death
    read from it, and killing or removing everything in it.
    """

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
        """SandboxUnavailable, before anything is made, if the kernel would see `protected`;
        then the box's own files, which must not expose it either."""
        policy.check_protected(self._visible(workdir, mirror), protected)
        self.cgroups = cgroups
        self.seccomp = seccomp
        self.cgroup: KernelCgroup | None = None
        super().__init__(workdir, limits, mirror)
        try:
            self._furnish(protected)
        except BaseException:
            self._abandon()
            raise

    @staticmethod
    def _visible(workdir: Path, mirror: Path | None) -> list[Path]:
        """The host paths the kernel will be able to read: the system's folders, the few files
        of /etc it needs, Python's, its working folder, the inner launcher, the model mirror."""
        paths = [*map(Path, policy.SYSTEM_DIRS), *map(Path, policy.ETC_FILES)]
        paths += [*policy.python_prefixes(), workdir, policy.INNER_LAUNCHER]
        return paths + ([mirror] if mirror else [])

    @abstractmethod
    def _furnish(self, protected: Sequence[Path]) -> None:
        """The box's own files, made once its runtime folder exists."""

    async def _prepare(self) -> None:
        hand_over(self.workdir)  # the kernel's user writes there, and nowhere else outside /tmp
        if self.cgroups is not None:
            self.cgroup = await asyncio.to_thread(
                KernelCgroup, self.cgroups, self.limits.memory_bytes, self.limits.processes
            )

    def death_cause(self) -> ExecutionStatus:
        cause = super().death_cause()
        if cause is not ExecutionStatus.KILLED:
            return cause
        if self.cgroup is not None and self.cgroup.oom_kills() > 0:
            return ExecutionStatus.MEMORY
        return ExecutionStatus.KILLED

    async def kill(self) -> None:
        try:
            await super().kill()
        finally:
            if self.cgroup is not None:
                await asyncio.to_thread(self.cgroup.kill_all)

    async def _release(self) -> None:
        release(self.workdir)  # its staging bind, if the kernel's user needed one
        if self.cgroup is not None:
            # close() killed the tree: the high-water mark is final, and gone once removed.
            self.peak_memory_bytes = await asyncio.to_thread(self.cgroup.peak_memory)
            await asyncio.to_thread(self.cgroup.remove)
            self.cgroup = None

    def cpu_seconds(self) -> float | None:
        return self.cgroup.cpu_seconds() if self.cgroup is not None else None

    def _cgroup_procs(self) -> list[Path]:
        """The files the launcher writes its pid to, joining the cgroup before the kernel runs."""
        return list(self.cgroup.procs_files) if self.cgroup else []
