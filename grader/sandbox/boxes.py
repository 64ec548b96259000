"""Isolation backends: each starts one submission's kernel in its own box, never reused.

A backend makes a `KernelBox` per submission. The executor (grader/sandbox/execute.py) only
knows this interface: start the box, drive its kernel through nbclient, ask why it died, close.
Every box caps the size of one ZeroMQ message and turns the connection libzmq then drops into a
kill with status output-limit (without the watch, all later output would be silently lost).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from queue import Empty
from typing import Any, ClassVar, cast

import zmq
import zmq.asyncio
from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from traitlets import default
from zmq.utils.monitor import parse_monitor_message

from grader.mirror import mirror_env
from grader.results import ExecutionStatus
from grader.sandbox.kernel_user import kernel_ids, runtime_parent
from grader.sandbox.limits import Limits
from grader.sandbox.protocol import GuardedSession

# A peer that sent a message over the cap is disconnected for good (libzmq protocol error).
_WATCHED_EVENTS = zmq.EVENT_DISCONNECTED
# pyzmq names a monitor's endpoint after its socket's file descriptor, which a new socket can
# reuse while the closed socket's monitor still holds the name ("Address already in use").
_monitor_numbers = itertools.count()


class StartupFailed(Exception):
    """The kernel could not be started; the message says why, for the instructor."""


class CappedKernelClient(AsyncKernelClient):
    """A kernel client that refuses ZeroMQ messages over `max_message_bytes` and reports, through
    `on_disconnect(channel)`, a connection the kernel side dropped."""

    max_message_bytes: int = 64 * 1024**2
    on_disconnect: Callable[[str], None] | None = None

    def _create_connected_socket(self, channel: str, identity: bytes | None = None) -> Any:
        socket = _capped_socket(self, channel, identity, self.max_message_bytes)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None  # a synchronous caller: the cap holds, nobody watches
        if loop is not None and self.on_disconnect is not None:
            address = f"inproc://grader-monitor-{next(_monitor_numbers)}"
            monitor = socket.get_monitor_socket(_WATCHED_EVENTS, address)
            watch = loop.create_task(self._watch(channel, monitor))
            self._watches = [*getattr(self, "_watches", []), (watch, monitor)]
        socket.connect(self._make_url(channel))
        return socket

    async def _watch(self, channel: str, monitor: zmq.asyncio.Socket) -> None:
        while True:
            event = parse_monitor_message(await monitor.recv_multipart())
            if event["event"] == zmq.EVENT_DISCONNECTED and self.on_disconnect is not None:
                self.on_disconnect(channel)
                return

    def stop_channels(self) -> None:
        super().stop_channels()  # first: it touches (so creates) the channels never started
        for watch, monitor in getattr(self, "_watches", []):
            watch.cancel()
            monitor.close(linger=0)
        self._watches = []


def _capped_socket(owner: Any, channel: str, identity: bytes | None, max_bytes: int) -> Any:
    """jupyter_client's socket for `channel`, capped before it connects (a cap set afterwards
    may miss the connection)."""
    socket = owner.context.socket(_SOCKET_TYPES[channel])
    socket.linger = 1000
    socket.setsockopt(zmq.MAXMSGSIZE, max_bytes)
    # The client connects before the kernel has bound its sockets: retry every 10 ms, not 100.
    socket.setsockopt(zmq.RECONNECT_IVL, 10)
    if identity:
        socket.identity = identity
    if getattr(owner, "curve_publickey", None) is not None:  # jupyter_client's encryption
        socket.curve_secretkey = owner.curve_secretkey
        socket.curve_publickey = owner.curve_publickey
        socket.curve_serverkey = owner.curve_publickey
    return socket


_SOCKET_TYPES = {
    "shell": zmq.DEALER,
    "iopub": zmq.SUB,
    "stdin": zmq.DEALER,
    "hb": zmq.REQ,
    "control": zmq.DEALER,
}


class BoxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel command line is given, not read from a kernelspec dir, and
    whose clients are capped and check every message (`on_violation` hears of a bad one)."""

    def __init__(
        self,
        argv: Callable[[], list[str]],
        message_bytes: int,
        on_disconnect: Callable[[str], None] | None = None,
        on_violation: Callable[[str], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        session = cast(GuardedSession, self.session)  # from _guarded_session
        session.on_violation = on_violation
        session.max_message_bytes = message_bytes
        self.client_factory = CappedKernelClient
        self._message_bytes = message_bytes
        self._on_disconnect = on_disconnect
        self._argv = argv
        self.clients: list[CappedKernelClient] = []
        self._boxed_spec: KernelSpec | None = None

    @default("session")
    def _guarded_session(self) -> GuardedSession:
        return GuardedSession(parent=self)

    def _create_connected_socket(self, channel: str, identity: bytes | None = None) -> Any:
        # The manager's own control socket only sends, but replies pile up in it: cap them too.
        socket = _capped_socket(self, channel, identity, self._message_bytes)
        socket.connect(self._make_url(channel))
        return socket

    def write_connection_file(self, **kwargs: Any) -> None:
        """jupyter_client's, then readable by the kernel's user only (it holds the HMAC key)."""
        super().write_connection_file(**kwargs)
        os.chown(self.connection_file, *kernel_ids())

    @property
    def kernel_spec(self) -> KernelSpec:
        # Built at launch time: the command line names the cgroups created just before.
        if self._boxed_spec is None:
            self._boxed_spec = self._make_spec()
        return self._boxed_spec

    def _make_spec(self) -> KernelSpec:
        return KernelSpec(
            argv=self._argv(),
            display_name="Python 3 (grader)",
            language="python",
            interrupt_mode="message",  # a signal to bwrap's process group would kill the kernel
            env={},
            metadata={},
        )

    async def shutdown_now(self) -> None:
        """shutdown_kernel(now=True) without the 10 ms sleep jupyter_client's in_pending_state
        adds after it ("so that tests can capture the state")."""
        shutdown = AsyncKernelManager._async_shutdown_kernel
        await getattr(shutdown, "__wrapped__", shutdown)(self, now=True)

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        # After SIGKILL the kernel is gone within a millisecond or two; jupyter_client's 0.1 s
        # poll made every close wait a tenth of a second.
        await super()._async_wait(pollinterval=min(pollinterval, 0.001))

    def client(self, **kwargs: Any) -> CappedKernelClient:  # type: ignore[override]
        client = cast(CappedKernelClient, super().client(**kwargs))  # our client_factory
        client.max_message_bytes = self._message_bytes
        client.on_disconnect = self._on_disconnect
        self.clients.append(client)
        return client

    def stop_clients(self) -> None:
        """Stop the channels and watches of every client made (nbclient leaves them running
        when it does not own the kernel manager)."""
        for client in self.clients:
            client.stop_channels()
        self.clients = []


def kernel_environment(workdir: Path, limits: Limits, mirror: Path | None) -> dict[str, str]:
    """The kernel's whole environment: nothing of the grader's leaks in (tokens, keys).

    Hugging Face libraries read models from the offline `mirror` and never reach a hub.
    """
    threads = str(limits.cpu_threads)
    offline = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    return (
        offline
        | (mirror_env(mirror) if mirror is not None else {})
        | {
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
            "HOME": str(workdir),
            "LANG": "C.UTF-8",
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",  # figures as in Jupyter
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "TOKENIZERS_PARALLELISM": "false",
            "PYTHONDONTWRITEBYTECODE": "1",
            "MALLOC_ARENA_MAX": "2",  # per-thread malloc arenas reserve address space (RLIMIT_AS)
            "OMP_NUM_THREADS": threads,
            "MKL_NUM_THREADS": threads,
            "OPENBLAS_NUM_THREADS": threads,
            "TORCH_NUM_THREADS": threads,
        }
    )


def home_environment(home: Path) -> dict[str, str]:
    """HOME and the folders that IPython, matplotlib and Jupyter write into, all below `home`
    (a confined kernel's private /tmp, or the warm parent's own folder)."""
    return {
        "HOME": str(home),
        "IPYTHONDIR": str(home / ".ipython"),
        "MPLCONFIGDIR": str(home / ".matplotlib"),
        "JUPYTER_RUNTIME_DIR": str(home / ".jupyter"),
    }


class KernelBox:
    """One kernel in its isolation. Subclasses say how the kernel is launched and confined."""

    backend: ClassVar[str]

    def __init__(self, workdir: Path, limits: Limits, mirror: Path | None = None) -> None:
        self.workdir = workdir
        self.limits = limits
        self.mirror = mirror
        self.output_limit_hit = False  # the kernel sent a message over limits.message_bytes
        self.protocol_violation: str | None = None  # how the kernel broke the protocol, first
        self.peak_memory_bytes: int | None = None  # the kernel tree's peak, known once closed
        self._closing = False
        self._watch_tasks: set[asyncio.Task[None]] = set()
        # Short path: AF_UNIX socket paths must stay under 108 bytes. The grader's own files
        # (log, passwd) live in runtime_dir; only its `kernel` subdirectory is shared with the box.
        self.runtime_dir = Path(tempfile.mkdtemp(prefix="gk", dir=runtime_parent()))
        self.kernel_dir = self.runtime_dir / "k"
        self.kernel_dir.mkdir()
        # The kernel's user (nobody, when grader is root) reaches its socket folder, not the log.
        self.runtime_dir.chmod(0o711)
        os.chown(self.kernel_dir, *kernel_ids())
        log = os.open(self.runtime_dir / "kernel.log", os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        self._log = open(log, "w+b")  # noqa: SIM115
        self.km = BoxedKernelManager(
            self._kernel_argv,
            self.limits.message_bytes,
            self._connection_lost,
            self._violated,
            transport="ipc",
            ip=str(self.kernel_dir / "s"),
            connection_file=str(self.kernel_dir / "connection.json"),
        )

    def _abandon(self) -> None:
        """Undo __init__ when a subclass refuses the box before it was ever started."""
        self._log.close()
        shutil.rmtree(self.runtime_dir, ignore_errors=True)

    def _kernel_argv(self) -> list[str]:
        """The command line that starts the kernel; `{connection_file}` is filled in."""
        raise NotImplementedError

    async def _prepare(self) -> None:
        """Set up what the launch needs (cgroups); called by start()."""

    def _environment(self) -> dict[str, str]:
        return kernel_environment(self.workdir, self.limits, self.mirror)

    async def start(self, timeout_s: float = 60) -> CappedKernelClient:
        """Start the kernel; return a client whose channels are open once the kernel answers.
        Raise StartupFailed with the reason (the end of the kernel's log: a bwrap or launcher
        error) if it does not."""
        try:
            await self._prepare()
            await self.km.start_kernel(
                stdout=self._log,
                stderr=self._log,
                cwd=str(self.workdir),
                env=self._environment(),
                extra_arguments=["--HistoryManager.hist_file=:memory:"],
            )
            client = self.km.client()
            client.start_channels(hb=False, stdin=False)
            await _wait_until_ready(client, timeout_s)
        except Exception as exc:
            raise StartupFailed(f"{type(exc).__name__}: {exc}\n{self.log_tail()}") from exc
        return client

    def death_cause(self) -> ExecutionStatus:
        """Why the kernel died (called once it has): MEMORY when a memory limit killed it,
        OUTPUT_LIMIT when it was killed for an oversized message, PROTOCOL_ERROR for a message
        the protocol does not allow."""
        if self.protocol_violation is not None:
            return ExecutionStatus.PROTOCOL_ERROR
        if self.output_limit_hit:
            return ExecutionStatus.OUTPUT_LIMIT
        return ExecutionStatus.KILLED

    def cpu_seconds(self) -> float | None:
        """The CPU time the kernel's process tree has used so far, in seconds; None when this
        box cannot measure it (cells are then timed by the wall clock)."""
        return None

    def log_tail(self, size: int = 2000) -> str:
        """The end of the kernel's stdout/stderr, read through the grader's own descriptor (never
        by path, and without moving the offset the kernel writes at)."""
        if self._log.closed:
            return ""
        fd = self._log.fileno()
        end = os.fstat(fd).st_size
        return os.pread(fd, size, max(0, end - size)).decode("utf-8", "replace")

    def _connection_lost(self, channel: str) -> None:
        if not self._closing:
            self._in_background(self._kill_if_still_alive())

    def _violated(self, reason: str) -> None:
        """A message from the kernel broke the protocol: the kernel is killed at once (its
        messages can no longer be read, and nbclient then sees a dead kernel)."""
        if self.protocol_violation is None:
            self.protocol_violation = reason
            if not self._closing:
                self._in_background(self.kill())

    def _in_background(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(job)
        self._watch_tasks.add(task)
        task.add_done_callback(self._watch_tasks.discard)

    async def _kill_if_still_alive(self) -> None:
        # A dying kernel drops its connections too: blame the output only if it lives on.
        await asyncio.sleep(0.5)
        if not self._closing and self.km.has_kernel and await self.km.is_alive():
            self.output_limit_hit = True
            await self.kill()

    async def kill(self) -> None:
        """Kill the kernel and all its processes now (the box stays until close)."""
        if self.km.has_kernel:
            await self.km.shutdown_now()

    async def _release(self) -> None:
        """Free what _prepare set up; called by close() after the kernel is dead."""

    async def close(self) -> None:
        """Kill the kernel and everything it started; remove the box's files."""
        self._closing = True
        for task in list(self._watch_tasks):
            task.cancel()
        self.km.stop_clients()
        try:
            await self.kill()
        finally:
            try:
                await self._release()
            finally:
                self._log.close()
                shutil.rmtree(self.runtime_dir, ignore_errors=True)


async def _wait_until_ready(client: CappedKernelClient, timeout_s: float) -> None:
    """Until the kernel answers kernel_info on shell and its iopub reaches this client (ipykernel
    greets each new subscriber). jupyter_client's wait_for_ready gives iopub 0.2 s and, when the
    greeting came first, asks again: a fifth of a second lost per kernel."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        client.kernel_info()
        try:
            reply = await client.get_shell_msg(timeout=1)
        except Empty:
            if not await client.is_alive():
                raise RuntimeError("the kernel died before answering") from None
            continue
        if reply["msg_type"] != "kernel_info_reply":
            continue
        try:
            await client.get_iopub_msg(timeout=1)
        except Empty:
            continue
        client._handle_kernel_info_reply(reply)
        return
    raise RuntimeError(f"the kernel did not answer in {timeout_s:.0f} s")


class UnsandboxedBox(KernelBox):
    """Trusted code only: the kernel runs as the grader's user, with timeouts but no confinement."""

    backend = "none"

    def _kernel_argv(self) -> list[str]:
        return [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
