"""Warm start: a batch's kernels fork from one parent that imported the heavy libraries once.

An assignment that declares `preload: [numpy, torch, transformers]` pays those imports once per
batch instead of once per submission: `WarmParent.start` runs grader/sandbox/warm_parent.py,
which imports them and serves forks; each `WarmBox` asks it for one kernel, through the
`WarmProvisioner` that jupyter_client then holds instead of a kernel process. The child confines
itself (namespaces, the bwrap box's very view, no capabilities, rlimits, seccomp, the kernel's
cgroup) before any student code runs, and starts from the parent's pristine state: no globals,
module state, files or threads of another student can be in it, since none ever were in the
parent. Where that cannot work (no namespaces, another backend, a preload that starts threads),
kernels start fresh, and `start_warm_parent` says so in one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import platform
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning.local_provisioner import LocalProvisioner

from grader.sandbox import policy
from grader.sandbox.boxes import home_environment
from grader.sandbox.bwrap import SANDBOX_HOSTNAME, SANDBOX_UID, BwrapBox, box_environment
from grader.sandbox.kernel_user import enter_private_mounts, kernel_ids
from grader.sandbox.limits import Limits

WARM_PARENT = Path(__file__).with_name("warm_parent.py")
FORKABLE_MACHINES = ("x86_64", "aarch64")  # warm_parent.SYS_PIVOT_ROOT knows their numbers


class WarmStartUnavailable(Exception):
    """The warm parent cannot serve this batch; the message says why (kernels start fresh)."""


class WarmParent:
    """The running parent of a batch's kernels. Stop it (or let the grader exit) to end it and
    every kernel it forked."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        directory: Path,
        preload: Sequence[str],
        seconds: float,
        preload_seconds: float,
    ) -> None:
        self.process = process
        self.directory = directory
        self.socket = directory / "parent.sock"
        self.preload = tuple(preload)
        self.seconds = seconds  # what the imports cost, once
        self.preload_seconds = preload_seconds  # of which the preload's

    @classmethod
    def start(
        cls, preload: Sequence[str], limits: Limits, mirror: Path | None, timeout_s: float = 300
    ) -> WarmParent:
        """Start the parent with the kernels' environment and wait until it has imported
        `preload`; WarmStartUnavailable (with the parent's reason) if it cannot serve."""
        enter_private_mounts()  # the working folders its workers mount are its kernels' too
        directory = Path(tempfile.mkdtemp(prefix="gw"))  # 0700: only the grader's uid gets in
        home = directory / "home"  # what the imports write (font caches) stays out of host /tmp
        home.mkdir()
        # One thread while importing: a BLAS built for more starts its pool at load time, and
        # a fork keeps only the calling thread. Each child then sets its own thread count.
        environment = box_environment(replace(limits, cpu_threads=1), mirror)
        environment.update(home_environment(home))
        log = open(directory / "parent.log", "w+b")  # noqa: SIM115
        config = json.dumps({"preload": list(preload)})
        argv = [policy.kernel_python(), "-P", "-s", str(WARM_PARENT), "serve"]
        process = subprocess.Popen(
            [*argv, str(directory / "parent.sock"), config],
            stdin=subprocess.PIPE,  # closed by stop(), or by the grader's death
            stdout=subprocess.PIPE,
            stderr=log,
            env=environment,
            cwd=directory,
            start_new_session=True,  # Ctrl-C reaches the grader, which then stops it
        )
        with log:
            try:
                ready = _read_line(process, timeout_s)
                answer = json.loads(ready) if ready else {}
            except (OSError, ValueError) as exc:
                answer = {"reason": str(exc)}
            if not answer.get("ok"):
                _end(process)
                log.seek(0)
                tail = log.read().decode("utf-8", "replace").strip().splitlines()[-1:]
                shutil.rmtree(directory, ignore_errors=True)
                reason = answer.get("reason") or (tail[0] if tail else "the parent did not start")
                raise WarmStartUnavailable(str(reason))
        seconds = float(answer["seconds"])
        return cls(process, directory, preload, seconds, float(answer["preload_seconds"]))

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """End the parent and every kernel forked from it; remove its socket."""
        _end(self.process)
        shutil.rmtree(self.directory, ignore_errors=True)


def _read_line(process: subprocess.Popen[bytes], timeout_s: float) -> bytes:
    stdout = process.stdout
    if stdout is None:
        raise OSError("the parent's stdout is not a pipe")
    with selectors.DefaultSelector() as selector:
        selector.register(stdout, selectors.EVENT_READ)
        if not selector.select(timeout_s):
            raise OSError(f"the parent gave no answer in {timeout_s:.0f} s")
    return stdout.readline()


def _end(process: subprocess.Popen[bytes]) -> None:
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def warm_problem(backend: str) -> str | None:
    """Why kernels cannot fork from a warm parent with this backend (None: they can)."""
    if not sys.platform.startswith("linux") or platform.machine() not in FORKABLE_MACHINES:
        return f"forking a confined kernel needs Linux on {' or '.join(FORKABLE_MACHINES)}"
    if backend != "bwrap":
        return f"the {backend} sandbox has no namespaces to fork kernels into"
    return None


def start_warm_parent(
    preload: Sequence[str],
    backend: str,
    limits: Limits,
    mirror: Path | None,
    solution_seconds: float | None = None,
) -> tuple[WarmParent | None, str]:
    """A warm parent for this backend's kernels (None: they start fresh), and the one line that
    says which, and how much of the solution's import time (`solution_seconds`, as `validate`
    measured it) the preload covers. The caller stops the parent."""
    problem = warm_problem(backend)
    if problem is None:
        try:
            parent = WarmParent.start(preload, limits, mirror)
        except WarmStartUnavailable as exc:
            problem = str(exc)
        else:
            packages = _packages(preload)
            cost = _coverage(parent.preload_seconds, solution_seconds)
            return parent, f"warm start: {packages} imported once ({cost}); kernels fork from it"
    return None, f"warm start: off ({problem}); every kernel starts fresh"


def _packages(preload: Sequence[str], most: int = 6) -> str:
    """ "numpy, torch", or, for a long recorded list, "1296 modules of 37 packages (torch,
    transformers, sympy...)": the packages with the most modules first."""
    counts = Counter(name.partition(".")[0] for name in preload)
    if len(counts) <= most:
        return ", ".join(counts)
    largest = ", ".join(name for name, _ in counts.most_common(3))
    return f"{len(preload)} modules of {len(counts)} packages ({largest}...)"


def _coverage(preloaded: float, solution: float | None) -> str:
    """ "1.2 s" or "1.2 s, 30 % of the solution's 4.0 s of imports"."""
    if not solution:
        return f"{preloaded:.1f} s"
    share = min(100, round(100 * preloaded / solution))
    return f"{preloaded:.1f} s, {share} % of the solution's {solution:.1f} s of imports"


class WarmBox(BwrapBox):
    """The bwrap box's isolation around a kernel forked from the batch's warm parent."""

    backend = "bwrap"  # the same namespaces, view and limits; only the start differs

    def __init__(self, workdir: Path, limits: Limits, *, parent: Path, **options: Any) -> None:
        """`parent`: the warm parent's socket; `options`: those of BwrapBox."""
        self.parent = parent
        super().__init__(workdir, limits, **options)

    def _furnish(self, protected: Sequence[Path]) -> None:
        super()._furnish(protected)
        self.root = self.runtime_dir / "root"  # the child mounts its view's root here
        self.root.mkdir()

    def request(self) -> dict[str, object]:
        """What the forked child needs to confine itself: everything the bwrap command says."""
        return {
            "sandbox_uid": SANDBOX_UID,
            "kernel_uid": kernel_ids()[0],
            "kernel_gid": kernel_ids()[1],
            "hostname": SANDBOX_HOSTNAME,
            "view": [step.to_json() for step in self.view(launcher=False)],
            "root": str(self.root),
            "workdir": str(self.workdir),
            "environment": box_environment(self.limits, self.mirror),
            "rlimits": policy.rlimits(self.limits, pids_cgroup=self.cgroup is not None),
            "seccomp": self.seccomp,
            "threads": self.limits.cpu_threads,
            "cgroup_procs": [str(path) for path in self._cgroup_procs()],
        }

    def _kernel_argv(self) -> list[str]:
        return ["-f", "{connection_file}"]  # the forked child's ipykernel arguments

    async def _prepare(self) -> None:
        await super()._prepare()  # the cgroups, which the request names
        self.km.kernel_id = str(uuid.uuid4())
        provisioner = WarmProvisioner(
            kernel_id=self.km.kernel_id, kernel_spec=self.km.kernel_spec, parent=self.km
        )
        provisioner.box = self
        self.km.provisioner = provisioner  # jupyter_client's own would start a process


class WarmProvisioner(LocalProvisioner):
    """How jupyter_client starts, watches and ends a warm box's kernel: one request to the warm
    parent over its socket, with the box's log as the kernel's stdout and stderr; no process of
    ours in between. (LocalProvisioner writes the connection file and the arguments.)"""

    box: WarmBox
    kernel: ForkedKernel | None = None

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        log = kwargs["stdout"].fileno()  # the box's log, also given as stderr
        self.kernel = await asyncio.to_thread(ForkedKernel.request, self.box, cmd, log)
        self.pid = self.kernel.pid
        return self.connection_info

    @property
    def has_process(self) -> bool:
        return self.kernel is not None

    async def poll(self) -> int | None:
        return 0 if self.kernel is None else self.kernel.poll()

    async def wait(self) -> int | None:
        """Until the parent says the kernel ended (jupyter_client's would poll every 0.1 s)."""
        if self.kernel is None:
            return 0
        code = await self.kernel.wait()
        self.kernel = None
        return code

    async def send_signal(self, signum: int) -> None:
        """Any signal ends the kernel: in a box it is interrupted by message, never by signal."""
        if self.kernel is not None:
            self.kernel.end()

    async def kill(self, restart: bool = False) -> None:
        await self.send_signal(signal.SIGKILL)

    async def terminate(self, restart: bool = False) -> None:
        await self.send_signal(signal.SIGTERM)


class ForkedKernel:
    """A kernel forked by the warm parent: the parent says on their connection when it ended,
    and kills it when the connection is shut (or this process dies)."""

    def __init__(self, connection: socket.socket, pid: int) -> None:
        self.connection = connection
        self.pid = pid
        self.returncode: int | None = None

    @classmethod
    def request(cls, box: WarmBox, kernel_args: list[str], log: int) -> ForkedKernel:
        """Ask the parent for the box's kernel; OSError with the parent's reason if it refuses."""
        message = "\0".join([json.dumps(box.request()), *kernel_args]).encode()
        try:
            return cls(*ask_warm_parent(box.parent, message, [log, log]))
        except OSError as exc:
            raise OSError(f"warm start: {exc}") from None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                self._ended(self.connection.recv(1 << 16, socket.MSG_DONTWAIT))
            except BlockingIOError:
                pass
            except OSError:
                self._ended(b"")
        return self.returncode

    async def wait(self) -> int:
        if self.returncode is None:
            self.connection.setblocking(False)
            try:
                message = await asyncio.get_running_loop().sock_recv(self.connection, 1 << 16)
            except OSError:
                message = b""
            self._ended(message)
        assert self.returncode is not None
        return self.returncode

    def end(self) -> None:
        if self.returncode is None:
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_WR)

    def _ended(self, message: bytes) -> None:
        code = exit_status(message)
        # Without its word, the parent is gone: it killed its kernels as it went.
        self.returncode = -signal.SIGKILL if code is None else code
        self.connection.close()


def ask_warm_parent(parent: Path, request: bytes, fds: list[int]) -> tuple[socket.socket, int]:
    """Ask the warm parent listening on `parent` for a child (a kernel, or a grader worker):
    the connection on which it will say `exit N` when the child ends, and the child's pid.
    OSError with the parent's reason if it refuses or is gone."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        connection.connect(str(parent))
        socket.send_fds(connection, [request], fds)
        word, _, value = connection.recv(1 << 16).decode("utf-8", "replace").partition(" ")
        if word != "pid":
            raise OSError(value or "the warm parent stopped")
    except BaseException:
        connection.close()
        raise
    return connection, int(value)


def exit_status(message: bytes) -> int | None:
    """The status in the parent's `exit N` about a child; None when the connection closed
    without it (the parent is gone)."""
    word, _, value = message.decode("utf-8", "replace").partition(" ")
    return int(value) if word == "exit" else None
