"""The bwrap box against hostile notebooks: each attack ends with the right status, nothing
leaks to the host, and the next submission runs normally. Real kernels, real bubblewrap."""

from __future__ import annotations

import asyncio
import errno
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from grader.results import ExecutionStatus
from grader.sandbox.boxes import KernelBox, StartupFailed
from grader.sandbox.bwrap import BwrapBox
from grader.sandbox.cgroups import CgroupLayout
from grader.sandbox.limits import Limits
from grader.sandbox.warm import WarmBox, WarmParent
from tests.conftest import IN_BWRAP_BOXES
from tests.hostile import cells
from tests.hostile.harness import BoxRun, run_cells
from tests.hostile.secrets import SECRET, process_with_secret

MiB = 1024**2
LIMITS = Limits(
    cell_timeout_s=5,
    notebook_timeout_s=60,
    memory_bytes=1024 * MiB,
    processes=48,
    message_bytes=16 * MiB,
    file_bytes=32 * MiB,
    disk_bytes=64 * MiB,
)

pytestmark = [*IN_BWRAP_BOXES]


MakeBox = Callable[..., BwrapBox]


@pytest.fixture(scope="module")
def warm_parent() -> Iterator[WarmParent]:
    parent = WarmParent.start(["numpy"], LIMITS, None)
    yield parent
    parent.stop()


@pytest.fixture(params=["bwrap", "warm"])
def make_box(request: pytest.FixtureRequest, layout: CgroupLayout) -> MakeBox:
    """Every attack runs in a bwrap box and in a warm box (forked from a parent that imported
    numpy; not torch, whose address space would leave the children below no room under
    RLIMIT_AS): both must hold the same way."""

    def make(workdir: Path, limits: Limits, **options: Any) -> BwrapBox:
        options.setdefault("cgroups", layout)
        if request.param == "warm":
            parent = request.getfixturevalue("warm_parent")
            return WarmBox(workdir, limits, parent=parent.socket, **options)
        return BwrapBox(workdir, limits, **options)

    return make


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    workdir = tmp_path / "students" / "alice"
    workdir.mkdir(parents=True)
    return workdir


def run(box: KernelBox, *sources: str, cell_timeout: float = 10) -> BoxRun:
    return asyncio.run(run_cells(box, *sources, cell_timeout=cell_timeout))


@pytest.fixture
def loopback_server() -> Iterator[tuple[int, list[str]]]:
    """A TCP server on the host's loopback, reachable from the grader; yields (port, peers)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    peers: list[str] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, peer = server.accept()
            except TimeoutError:
                continue
            peers.append(str(peer))
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    socket.create_connection(server.getsockname(), timeout=2).close()  # reachable from here
    for _ in range(50):
        if peers:
            break
        threading.Event().wait(0.02)
    assert peers, "the test server must be reachable from the host"
    peers.clear()
    yield server.getsockname()[1], peers
    stop.set()
    thread.join()
    server.close()


@pytest.mark.parametrize(
    ("seccomp", "expected_errno"),
    [
        (True, errno.EAFNOSUPPORT),  # seccomp refuses the IP socket itself
        (False, errno.ECONNREFUSED),  # the network namespace alone: its loopback is empty
    ],
    ids=["seccomp", "namespace-only"],
)
def test_loopback_server_is_unreachable(
    make_box: MakeBox,
    scratch: Path,
    layout: CgroupLayout,
    loopback_server: tuple[int, list[str]],
    seccomp: bool,
    expected_errno: int,
) -> None:
    port, peers = loopback_server
    box = make_box(scratch, LIMITS, cgroups=layout, seccomp=seccomp)
    result = run(box, cells.connect_tcp(port), cells.resolve_name("example.org"))
    assert result.text(0) == f"refused {expected_errno}\n"
    assert result.text(1).startswith("no name resolution")
    assert peers == []


def test_hidden_files_and_other_students_are_not_mounted(
    make_box: MakeBox, tmp_path: Path, layout: CgroupLayout
) -> None:
    assignment = tmp_path / "assignments" / "tp1"
    (assignment / "checks").mkdir(parents=True)
    (assignment / "checks" / "hidden.py").write_text("EXPECTED = 42\n")
    (assignment / "solution.ipynb").write_text("{}")
    bob = tmp_path / "students" / "bob"
    bob.mkdir(parents=True)
    (bob / "answers.txt").write_text("bob's work")
    alice = tmp_path / "students" / "alice"
    alice.mkdir()
    targets = [
        assignment / "checks" / "hidden.py",
        assignment / "solution.ipynb",
        bob / "answers.txt",
        Path("/etc/shadow"),
        Path("/work"),
    ]
    box = make_box(alice, LIMITS, protected=[assignment, bob], cgroups=layout)
    result = run(box, cells.read_files(targets), "import os; print(sorted(os.listdir('/')))")
    assert result.text(0) == "".join(f"{t}: FileNotFoundError\n" for t in targets)
    assert set(eval(result.text(1))) <= {"bin", "dev", "etc", "lib", "lib64", "opt", "proc"} | {
        "root",
        "sbin",
        "tmp",
        "usr",
    }


def test_writes_outside_scratch_fail_and_tmp_is_private(
    make_box: MakeBox, scratch: Path, layout: CgroupLayout
) -> None:
    import sys

    marker = f"grader-test-{id(scratch)}"
    targets = ["/usr/evil", f"{sys.base_prefix}/evil", "/etc/passwd", "/evil", "/root/evil"]
    box = make_box(scratch, LIMITS, cgroups=layout)
    result = run(
        box,
        cells.write_files(targets),
        f"open('/tmp/{marker}', 'w').write('x'); open('mine.txt', 'w').write('ok')",
        cells.fill_tmp(100 * MiB),
    )
    assert result.text(0) == "".join(f"{t}: errno {errno.EROFS}\n" for t in targets)
    assert result.statuses[1] == "ok"
    assert (scratch / "mine.txt").read_text() == "ok"
    assert not Path("/tmp", marker).exists()
    assert result.text(2) == f"errno {errno.ENOSPC}\n"  # /tmp is bounded by limits.disk_bytes


def test_8gb_allocation_raises_memory_error_and_kernel_survives(
    make_box: MakeBox, scratch: Path, layout: CgroupLayout
) -> None:
    box = make_box(scratch, LIMITS, cgroups=layout)
    result = run(
        box, "x = bytearray(8 * 1024**3)", "import numpy as np\ny = np.ones(2**30)", "1 + 1"
    )
    assert result.statuses == ["error", "error", "ok"]
    assert result.text(0).startswith("MemoryError")
    assert "Unable to allocate" in result.text(1) or result.text(1).startswith("MemoryError")
    assert result.text(2) == "2\n"


def test_process_tree_over_memory_limit_is_killed_with_status_memory(
    make_box: MakeBox, scratch: Path, layout: CgroupLayout
) -> None:
    box = make_box(scratch, LIMITS, cgroups=layout)
    result = run(box, cells.children_exhaust_memory(3, 400 * MiB), "1 + 1", cell_timeout=20)
    assert result.statuses == ["dead", "not-run"]
    assert result.death == ExecutionStatus.MEMORY


def test_bounded_fork_loop_stops_at_the_process_limit(
    make_box: MakeBox, scratch: Path, layout: CgroupLayout
) -> None:
    box = make_box(scratch, LIMITS, cgroups=layout)
    result = run(box, cells.fork_loop(200), "print('alive')")
    forked, error = result.text(0).split()
    assert 0 < int(forked) < LIMITS.processes
    assert error == "BlockingIOError"
    assert result.text(1) == "alive\n"


@pytest.mark.parametrize(
    ("source", "statuses"),
    [
        ("while True:\n    pass", ["interrupted", "ok"]),  # KeyboardInterrupt, next cell runs
        (cells.LOOP_IGNORING_SIGINT, ["timeout", "not-run"]),  # interrupted in vain, killed
    ],
    ids=["plain-loop", "loop-ignoring-sigint"],
)
def test_infinite_loop_is_interrupted_then_killed(
    make_box: MakeBox, scratch: Path, layout: CgroupLayout, source: str, statuses: list[str]
) -> None:
    box = make_box(scratch, LIMITS, cgroups=layout)
    result = run(box, source, "print('next')", cell_timeout=2)
    assert result.statuses == statuses
    assert cells.host_processes_mentioning(str(box.runtime_dir)) == []


def test_200mb_output_kills_the_kernel_with_status_output_limit(
    make_box: MakeBox, scratch: Path, layout: CgroupLayout
) -> None:
    limits = Limits(memory_bytes=3 * 1024 * MiB, message_bytes=16 * MiB, processes=48)
    box = make_box(scratch, limits, cgroups=layout)
    result = run(box, "print('x' * 200_000_000)", "print('after')", cell_timeout=30)
    assert result.statuses == ["dead", "not-run"]
    assert result.death == ExecutionStatus.OUTPUT_LIMIT


def test_connection_key_is_readable_but_reaches_only_its_own_kernel(
    make_box: MakeBox, tmp_path: Path, layout: CgroupLayout
) -> None:
    (tmp_path / "alice").mkdir()
    (tmp_path / "bob").mkdir()
    other = make_box(tmp_path / "bob", LIMITS, cgroups=layout)
    box = make_box(tmp_path / "alice", LIMITS, cgroups=layout)
    try:
        result = run(
            box,
            "print(len(get_ipython().kernel.session.key) > 0)",
            cells.read_files([other.kernel_dir / "connection.json", other.kernel_dir]),
        )
    finally:
        asyncio.run(other.close())
    assert result.text(0) == "True\n"  # the kernel is the student's: its key cannot be hidden
    assert result.text(1) == (
        f"{other.kernel_dir / 'connection.json'}: FileNotFoundError\n"
        f"{other.kernel_dir}: FileNotFoundError\n"
    )


def test_os_exit_kills_the_kernel_and_the_next_submission_runs(
    make_box: MakeBox, tmp_path: Path, layout: CgroupLayout
) -> None:
    (tmp_path / "alice").mkdir()
    (tmp_path / "bob").mkdir()
    hostile = make_box(tmp_path / "alice", LIMITS, cgroups=layout)
    result = run(hostile, "print('before')", "import os\nos._exit(3)", "print('never')")
    assert result.statuses == ["ok", "dead", "not-run"]
    assert result.death == ExecutionStatus.KILLED
    assert not hostile.runtime_dir.exists()
    following = run(make_box(tmp_path / "bob", LIMITS, cgroups=layout), "print(6 * 7)")
    assert following.text(0) == "42\n"


def test_environment_is_cleared_and_uid_unprivileged(
    make_box: MakeBox, scratch: Path, layout: CgroupLayout, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRADER_TEST_SECRET", SECRET)
    box = make_box(scratch, LIMITS, cgroups=layout)
    with process_with_secret():
        result = run(box, cells.look_for_secret(SECRET), cells.IDENTITY)
    assert result.text(0) == "in environment: False\nin /proc: []\n"
    uid, gid, capabilities, threads, offline = result.text(1).split()
    assert (uid, gid) == ("65534", "65534")
    assert int(capabilities, 16) == 0
    assert (threads, offline) == (str(LIMITS.cpu_threads), "1")


def test_no_namespace_can_be_created_inside_even_without_seccomp(
    make_box: MakeBox, scratch: Path, layout: CgroupLayout
) -> None:
    box = make_box(scratch, LIMITS, cgroups=layout, seccomp=False)
    result = run(
        box,
        """
import ctypes, errno, os
read, write = os.pipe()
if os.fork() == 0:  # unshare needs a single-threaded caller, and the kernel has threads
    libc = ctypes.CDLL(None, use_errno=True)
    done = libc.unshare(0x10000000)  # CLONE_NEWUSER
    os.write(write, f"{done} {errno.errorcode[ctypes.get_errno()]}".encode())
    os._exit(0)
os.wait()
print(os.read(read, 100).decode())
""",
    )
    assert result.text(0) == "-1 ENOSPC\n"  # the box's user namespace allows no other


def test_model_mirror_is_read_only_and_offline(
    make_box: MakeBox, scratch: Path, tmp_path: Path, layout: CgroupLayout
) -> None:
    mirror = tmp_path / "mirror"
    (mirror / "hub" / "models--gpt2").mkdir(parents=True)
    (mirror / "hub" / "models--gpt2" / "config.json").write_text('{"n_layer": 2}')
    box = make_box(scratch, LIMITS, mirror=mirror, cgroups=layout)
    result = run(
        box,
        "import os\nprint(os.environ['HF_HOME'], os.environ['HF_HUB_OFFLINE'])",
        f"print(open('{mirror}/hub/models--gpt2/config.json').read())",
        cells.write_files([f"{mirror}/hub/evil"]),
    )
    assert result.text(0) == f"{mirror} 1\n"
    assert result.text(1) == '{"n_layer": 2}\n'
    assert result.text(2) == f"{mirror}/hub/evil: errno {errno.EROFS}\n"


def test_a_box_that_cannot_start_says_why(scratch: Path, layout: CgroupLayout) -> None:
    box = BwrapBox(scratch, LIMITS, cgroups=layout)
    box.bwrap = "/nonexistent/bwrap"
    try:
        with pytest.raises(StartupFailed, match="/nonexistent/bwrap"):
            asyncio.run(box.start(timeout_s=10))
    finally:
        asyncio.run(box.close())
    assert not box.runtime_dir.exists()


def test_tampering_does_not_outlive_its_kernel(
    make_box: MakeBox, tmp_path: Path, layout: CgroupLayout
) -> None:
    (tmp_path / "alice").mkdir()
    (tmp_path / "bob").mkdir()
    hostile = make_box(tmp_path / "alice", LIMITS, cgroups=layout)
    tampered = run(
        hostile, cells.TAMPER_NUMPY, cells.TAMPER_LATER_CELLS, "1 / 0", "numpy.allclose(1, 2)"
    )
    # Inside its own kernel the tampering works: the pipeline must not believe what it prints.
    assert tampered.statuses == ["ok", "ok", "ok", "ok"]
    assert tampered.text(2) == "ALL TESTS PASSED\n"
    following = run(
        make_box(tmp_path / "bob", LIMITS, cgroups=layout),
        "import numpy\nprint(numpy.allclose(1, 2))",
        "1 / 0",
    )
    assert following.text(0) == "False\n"
    assert following.statuses[1] == "error"


@pytest.mark.torch
def test_course_libraries_run_inside_the_box_with_default_limits(
    make_box: MakeBox, scratch: Path, layout: CgroupLayout
) -> None:
    box = make_box(scratch, Limits(), cgroups=layout)
    result = run(
        box,
        "import torch\nprint(torch.softmax(torch.zeros(4), dim=0).sum().item(), "
        "torch.get_num_threads())",
        "import transformers\nprint(transformers.__name__)",
        cell_timeout=60,
    )
    assert result.statuses == ["ok", "ok"]
    assert result.text(0) == "1.0 1\n"
    assert result.text(1).endswith("transformers\n")  # after a tqdm warning on stderr
