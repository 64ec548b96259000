"""The Landlock fallback box (no namespaces) against the same attacks, with its own verdicts:
access is refused (EACCES) rather than absent, and the kernel keeps a capability-less uid."""

from __future__ import annotations

import asyncio
import errno
import sys
from pathlib import Path

import pytest

from grader.sandbox.cgroups import CgroupLayout
from grader.sandbox.inner import landlock_abi
from grader.sandbox.landlock import LandlockBox
from grader.sandbox.limits import Limits
from grader.sandbox.selection import cgroup_layout, landlock_problem
from tests.hostile import cells
from tests.hostile.harness import BoxRun, run_cells
from tests.hostile.secrets import SECRET, process_with_secret

MiB = 1024**2
LIMITS = Limits(memory_bytes=1024 * MiB, processes=48, message_bytes=16 * MiB)

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.kernel,
    pytest.mark.skipif(landlock_problem() is not None, reason=f"Landlock: {landlock_problem()}"),
]


def run(box: LandlockBox, *sources: str) -> BoxRun:
    return asyncio.run(run_cells(box, *sources, cell_timeout=10))


def layout() -> CgroupLayout | None:
    found = cgroup_layout()
    return found if isinstance(found, CgroupLayout) else None


def test_files_network_and_memory(tmp_path: Path) -> None:
    hidden = tmp_path / "assignments" / "tp1"
    hidden.mkdir(parents=True)
    (hidden / "hidden.py").write_text("EXPECTED = 42\n")
    bob = tmp_path / "students" / "bob"
    bob.mkdir(parents=True)
    (bob / "answers.txt").write_text("bob's work")
    alice = tmp_path / "students" / "alice"
    alice.mkdir()
    box = LandlockBox(alice, LIMITS, protected=[hidden, bob], cgroups=layout())
    readable = [hidden / "hidden.py", bob / "answers.txt", Path("/etc/shadow")]
    writable = ["/usr/evil", f"{sys.base_prefix}/evil", "/etc/passwd", str(bob / "evil")]
    result = run(
        box,
        cells.read_files(readable),
        cells.write_files(writable),
        "open('mine.txt', 'w').write('ok')",
        cells.connect_tcp(22),
        "x = bytearray(8 * 1024**3)",
        "print('alive')",
    )
    assert result.text(0) == "".join(f"{p}: PermissionError\n" for p in readable)
    assert result.text(1) == "".join(f"{p}: errno {errno.EACCES}\n" for p in writable)
    assert (alice / "mine.txt").read_text() == "ok"
    assert result.text(3) == f"refused {errno.EAFNOSUPPORT}\n"
    assert result.text(4).startswith("MemoryError")
    assert result.text(5) == "alive\n"


@pytest.mark.skipif(landlock_abi() < 4, reason="Landlock ABI < 4 cannot refuse TCP")
def test_landlock_alone_refuses_tcp(tmp_path: Path) -> None:
    box = LandlockBox(tmp_path, LIMITS, cgroups=layout(), seccomp=False)
    result = run(box, cells.connect_tcp(22))
    assert result.text(0) == f"refused {errno.EACCES}\n"


def test_environment_is_cleared_and_capabilities_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRADER_TEST_SECRET", SECRET)
    box = LandlockBox(tmp_path, LIMITS, cgroups=layout())
    with process_with_secret():  # visible in /proc here (no pid namespace), but not its environ
        result = run(box, cells.look_for_secret(SECRET), cells.IDENTITY)
    assert result.text(0) == "in environment: False\nin /proc: []\n"
    _uid, _gid, capabilities, _threads, offline = result.text(1).split()
    assert int(capabilities, 16) == 0
    assert offline == "1"
