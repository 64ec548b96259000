"""Warm start: kernels forked from one parent that imported the heavy libraries once.

The box's confinement is tested with every attack in tests/test_sandbox_bwrap.py (each runs in a
bwrap box and in a warm box) and the whole pipeline in tests/test_hostile_pipeline.py; here, what
is particular to forking: nothing of one student reaches the next, the parent stays a single
thread, the process tree ends with the connection that asked for it or with its parent, and the
fallback says so.
Real kernels, real namespaces, real cgroups.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from grader.assignment.load import load_assignment
from grader.grading import GradeOptions
from grader.sandbox.cgroups import CgroupLayout
from grader.sandbox.kernel_user import KERNEL_GID, KERNEL_UID
from grader.sandbox.limits import Limits
from grader.sandbox.selection import select_backend
from grader.sandbox.warm import WARM_PARENT, WarmBox, WarmParent, WarmProvisioner, start_warm_parent
from grader.warm_start import warm_kernels
from tests.conftest import IN_BWRAP_BOXES, TP_ATTENTION
from tests.hostile.harness import BoxRun, run_cells

LIMITS = Limits(cell_timeout_s=10, notebook_timeout_s=60, memory_bytes=1024**3, processes=48)

pytestmark = [*IN_BWRAP_BOXES]


@pytest.fixture(scope="module")
def parent() -> Iterator[WarmParent]:
    started = WarmParent.start(["numpy", "torch"], LIMITS, None)
    yield started
    started.stop()


def box(
    parent: WarmParent, workdir: Path, layout: CgroupLayout, limits: Limits = LIMITS
) -> WarmBox:
    workdir.mkdir(parents=True, exist_ok=True)
    return WarmBox(workdir, limits, parent=parent.socket, cgroups=layout)


def run(box: WarmBox, *sources: str) -> BoxRun:
    return asyncio.run(run_cells(box, *sources))


ALICE_LEAVES_TRACES = """
import json, os, sys, threading, time
import numpy as np, torch
secret = "alice"
_dumps = json.dumps  # patched for [1], what bob dumps: her kernel still packs its messages
json.dumps = lambda value, *args, **kwargs: "patched" if value == [1] else _dumps(value, *args, **kwargs)
np.set_printoptions(precision=1)
torch.manual_seed(0)
sys.modules["alice_module"] = type(sys)("alice_module")
os.environ["ALICE"] = "1"
open("/tmp/alice.txt", "w").write("x")
open("alice.txt", "w").write("x")
threading.Thread(target=time.sleep, args=(600,), name="alice-thread", daemon=True).start()
print(np.random.rand(), torch.rand(1).item())
"""

BOB_LOOKS_FOR_THEM = """
import json, os, sys, threading
import numpy as np, torch
print(json.dumps({
    "secret": "secret" in globals(),
    "dumps": json.dumps([1]),
    "precision": np.get_printoptions()["precision"],
    "module": "alice_module" in sys.modules,
    "environ": "ALICE" in os.environ,
    "tmp": os.path.exists("/tmp/alice.txt"),
    "scratch": sorted(os.listdir(".")),
    "threads": [t.name for t in threading.enumerate()],
}))
print(np.random.rand(), torch.rand(1).item())
"""


def test_nothing_of_one_student_reaches_the_next(
    parent: WarmParent, layout: CgroupLayout, tmp_path: Path
) -> None:
    alice = run(box(parent, tmp_path / "alice", layout), ALICE_LEAVES_TRACES)
    assert alice.statuses == ["ok"], alice.text(0)
    bob = run(
        box(parent, tmp_path / "bob", layout),
        "import sys; print('torch' in dir(), 'torch' in sys.modules)",
        BOB_LOOKS_FOR_THEM,
    )
    assert bob.statuses == ["ok", "ok"], bob.cells
    # torch is already imported (the parent did it), but no name is bound before the student's
    # own import: a notebook that forgets `import torch` fails as it would in a fresh kernel.
    assert bob.text(0) == "False True\n"
    seen, randoms = bob.text(1).splitlines()
    assert json.loads(seen) == {
        "secret": False,
        "dumps": "[1]",
        "precision": 8,
        "module": False,
        "environ": False,
        "tmp": False,
        "scratch": [],
        "threads": ["MainThread", *json.loads(seen)["threads"][1:]],
    }
    assert "alice-thread" not in json.loads(seen)["threads"]
    assert randoms != alice.text(0).strip()  # each kernel draws its own random numbers


def test_kernel_runs_as_the_sandbox_user_with_its_share_of_threads(
    parent: WarmParent, layout: CgroupLayout, tmp_path: Path
) -> None:
    two_threads = Limits(cell_timeout_s=10, processes=48, cpu_threads=2)
    result = run(
        box(parent, tmp_path / "alice", layout, two_threads),
        "import os, torch\n"
        "print(os.getuid(), os.getpid(), torch.get_num_threads(), os.environ['OMP_NUM_THREADS'])",
        "print(open('/proc/self/status').read().split('CapEff:')[1].split()[0])",
    )
    assert result.text(0) == "65534 2 2 2\n"  # pid 1 is the box's reaper
    assert result.text(1) == "0000000000000000\n"


def test_orphans_are_reaped_inside_the_box(
    parent: WarmParent, layout: CgroupLayout, tmp_path: Path
) -> None:
    orphans = """
import os, time
for _ in range(20):
    if os.fork() == 0:
        if os.fork() == 0:
            os._exit(0)   # the grandchild: an orphan once its parent has gone
        os._exit(0)
    os.wait()
time.sleep(0.5)
states = [open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[0]
          for p in os.listdir("/proc") if p.isdigit()]
print(states.count("Z"))
"""
    result = run(box(parent, tmp_path / "alice", layout), orphans)
    assert result.text(0) == "0\n"


def _gone(pids: set[int], timeout_s: float = 10) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not any(psutil.pid_exists(pid) and _not_zombie(pid) for pid in pids):
            return True
        time.sleep(0.05)
    return False


def _not_zombie(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def test_a_lost_connection_takes_its_kernel_along(
    parent: WarmParent, layout: CgroupLayout, tmp_path: Path
) -> None:
    """As when the grader worker that asked for the kernel dies: its end of the connection closes
    without a word."""

    async def scenario() -> tuple[set[int], bool]:
        kernel = box(parent, tmp_path / "alice", layout)
        await kernel.start()
        try:
            pids = kernel.cgroup.pids() if kernel.cgroup else set()
            provisioner = kernel.km.provisioner
            assert isinstance(provisioner, WarmProvisioner) and provisioner.kernel is not None
            provisioner.kernel.connection.close()
            return pids, _gone(pids)  # blocking: close() and the box's watches cannot help
        finally:
            await kernel.close()

    pids, gone = asyncio.run(scenario())
    assert len(pids) >= 3  # the child outside the pid namespace, its init, the kernel
    assert gone, "the kernel outlived the connection that asked for it"


def test_a_malformed_request_is_refused_and_the_parent_serves_on(
    parent: WarmParent, layout: CgroupLayout, tmp_path: Path
) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as connection:
        connection.connect(str(parent.socket))
        socket.send_fds(connection, [b"{}\0-x"], [2, 2])
        answer = connection.recv(1 << 16).decode()
    assert answer == "error refused: no -f CONNECTION_FILE among the kernel's arguments"
    assert parent.alive()
    assert run(box(parent, tmp_path / "alice", layout), "print(6 * 7)").text(0) == "42\n"


def test_stopping_the_parent_ends_every_kernel(layout: CgroupLayout, tmp_path: Path) -> None:
    own = WarmParent.start(["json"], LIMITS, None)

    async def scenario() -> None:
        kernels = [box(own, tmp_path / name, layout) for name in ("alice", "bob")]
        for kernel in kernels:
            await kernel.start()
        pids = set().union(*(k.cgroup.pids() for k in kernels if k.cgroup))
        own.stop()
        try:
            assert _gone(pids), "kernels outlived their parent"
        finally:
            for kernel in kernels:
                await kernel.close()

    asyncio.run(scenario())
    assert not own.socket.exists()


def test_the_parent_imports_torch_without_starting_a_thread(parent: WarmParent) -> None:
    assert len(os.listdir(f"/proc/{parent.process.pid}/task")) == 1


def test_a_preload_that_starts_threads_is_refused(tmp_path: Path) -> None:
    (tmp_path / "busy_library.py").write_text(
        "import threading, time\nthreading.Thread(target=time.sleep, args=(60,), daemon=True)"
        ".start()\n"
    )
    config = json.dumps({"preload": ["busy_library"]})
    done = subprocess.run(
        [sys.executable, "-P", "-s", str(WARM_PARENT), "serve", str(tmp_path / "s"), config],
        input="",
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    answer = json.loads(done.stdout.splitlines()[0])
    assert answer == {
        "ok": False,
        "reason": "preloading busy_library left 2 threads running: a fork would copy a broken "
        "process",
    }


@pytest.mark.parametrize(
    ("preload", "backend", "reason"),
    [
        (["numpy"], "landlock", "the landlock sandbox has no namespaces to fork kernels into"),
        (["numpy"], "none", "the none sandbox has no namespaces to fork kernels into"),
        (
            ["no_such_library"],
            "bwrap",
            "preload: import no_such_library failed: ModuleNotFoundError: "
            "No module named 'no_such_library'",
        ),
    ],
)
def test_without_a_warm_parent_kernels_start_fresh_and_it_is_said_once(
    preload: list[str], backend: str, reason: str
) -> None:
    started, notice = start_warm_parent(preload, backend, LIMITS, None)
    assert started is None
    assert notice == f"warm start: off ({reason}); every kernel starts fresh"


def test_fresh_kernels_when_asked(tmp_path: Path) -> None:
    tp_attention = load_assignment(TP_ATTENTION)
    options = GradeOptions(seed=1, sandbox=select_backend("bwrap"), fresh_kernels=True)
    with warm_kernels(tp_attention, options) as (kept, notice):
        assert kept.warm_parent is None
        assert notice == "warm start: off (--fresh-kernels); every kernel starts fresh"


@pytest.mark.skipif(os.geteuid() != 0, reason="kernels run as another user only under root")
def test_the_kernels_user_cannot_reach_the_warm_parent(parent: WarmParent) -> None:
    """The parent serves the grader's uid only; the kernels' user cannot even reach its socket."""
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        os.setgroups([])
        os.setresgid(KERNEL_GID, KERNEL_GID, KERNEL_GID)
        os.setresuid(KERNEL_UID, KERNEL_UID, KERNEL_UID)
        try:
            socket.socket(socket.AF_UNIX).connect(str(parent.socket))
            outcome = "connected"
        except OSError as error:
            outcome = errno.errorcode[error.errno or 0]
        os.write(write, outcome.encode())
        os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read, 100) == b"EACCES"
