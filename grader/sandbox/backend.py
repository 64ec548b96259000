"""Isolation backends: each starts one submission's kernel in its own box, never reused.

A backend makes a `KernelBox` per submission. The executor (grader/sandbox/execute.py) only
knows this interface: start the box, drive its kernel through nbclient, ask why it died, close.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, ClassVar

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager

from grader.mirror import mirror_env
from grader.results import ExecutionStatus
from grader.sandbox.limits import Limits


class StartupFailed(Exception):
    """The kernel could not be started; the message says why, for the instructor."""


class BoxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel command line is given, not read from a kernelspec dir."""

    def __init__(self, argv: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._boxed_spec = KernelSpec(
            argv=argv,
            display_name="Python 3 (grader)",
            language="python",
            interrupt_mode="message",  # a signal to bwrap's process group would kill the kernel
            env={},
            metadata={},
        )

    @property
    def kernel_spec(self) -> KernelSpec:
        return self._boxed_spec


def kernel_environment(workdir: Path, limits: Limits, mirror: Path | None) -> dict[str, str]:
    """The kernel's whole environment: nothing of the grader's leaks in (tokens, keys)."""
    threads = str(limits.cpu_threads)
    offline = mirror_env(mirror) if mirror is not None else {}
    return offline | {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
        "HOME": str(workdir),
        "LANG": "C.UTF-8",
        "MPLBACKEND": "agg",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        "OPENBLAS_NUM_THREADS": threads,
        "TORCH_NUM_THREADS": threads,
    }


class KernelBox:
    """One kernel in its isolation. Subclasses say how the kernel is launched and confined."""

    backend: ClassVar[str]

    def __init__(self, workdir: Path, limits: Limits, mirror: Path | None = None) -> None:
        self.workdir = workdir
        self.limits = limits
        self.mirror = mirror
        # Short path: AF_UNIX socket paths must stay under 108 bytes.
        self.runtime_dir = Path(tempfile.mkdtemp(prefix="gk"))
        self._log = open(self.runtime_dir / "kernel.log", "w+b")  # noqa: SIM115
        self.km = self._make_kernel_manager()

    def _make_kernel_manager(self) -> AsyncKernelManager:
        raise NotImplementedError

    async def start(self) -> None:
        """Start the kernel; raise StartupFailed with the reason if it cannot start."""
        try:
            await self.km.start_kernel(
                stdout=self._log,
                stderr=self._log,
                cwd=str(self.workdir),
                env=kernel_environment(self.workdir, self.limits, self.mirror),
                extra_arguments=["--HistoryManager.hist_file=:memory:"],
            )
        except Exception as exc:
            raise StartupFailed(f"{type(exc).__name__}: {exc}\n{self.log_tail()}") from exc

    def death_cause(self) -> ExecutionStatus:
        """Why the kernel died (called once it has): MEMORY when a memory limit killed it."""
        return ExecutionStatus.KILLED

    def log_tail(self, size: int = 2000) -> str:
        """The end of the kernel's stdout/stderr, read through the grader's own descriptor."""
        self._log.flush()
        self._log.seek(0, os.SEEK_END)
        end = self._log.tell()
        self._log.seek(max(0, end - size))
        return self._log.read().decode("utf-8", "replace")

    async def close(self) -> None:
        """Kill the kernel and everything it started; remove the box's files."""
        try:
            if self.km.has_kernel:
                await self.km.shutdown_kernel(now=True)
        finally:
            self._log.close()
            shutil.rmtree(self.runtime_dir, ignore_errors=True)


class UnsandboxedBox(KernelBox):
    """Trusted code only: the kernel runs as the grader's user, with timeouts but no confinement."""

    backend = "none"

    def _make_kernel_manager(self) -> AsyncKernelManager:
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        return BoxedKernelManager(
            argv,
            transport="ipc",
            ip=str(self.runtime_dir / "k"),
            connection_file=str(self.runtime_dir / "connection.json"),
        )
