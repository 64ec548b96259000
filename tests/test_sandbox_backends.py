"""Backend selection, protected-path refusal, cgroup discovery and `grader doctor`."""

from __future__ import annotations

import asyncio
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import pytest
from click.testing import CliRunner

from grader.errors import SandboxUnavailable
from grader.grading import GradeOptions
from grader.sandbox import boxes, policy, selection
from grader.sandbox.boxes import UnsandboxedBox
from grader.sandbox.bwrap import BwrapBox
from grader.sandbox.cgroups import (
    CgroupLayout,
    CgroupUnavailable,
    KernelCgroup,
    detect_layout,
)
from grader.sandbox.cli import doctor
from grader.sandbox.doctor import diagnose
from grader.sandbox.landlock import LandlockBox
from grader.sandbox.limits import Limits
from grader.sandbox_names import BACKEND_NAMES


@pytest.fixture
def no_isolation(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A machine without bubblewrap and without setpriv (as a student's laptop may be)."""
    monkeypatch.setattr(selection, "BWRAP", "/nonexistent/bwrap")
    monkeypatch.setattr(policy, "SETPRIV", "/nonexistent/setpriv")
    selection.bwrap_problem.cache_clear()
    selection.landlock_problem.cache_clear()
    yield
    selection.bwrap_problem.cache_clear()
    selection.landlock_problem.cache_clear()


@pytest.mark.parametrize(
    ("name", "command", "unsafe", "expected"),
    [
        ("none", "check", False, "sandbox: none (trusted code only: timeouts, no confinement)"),
        ("none", "grade", True, "sandbox: none (trusted code only: timeouts, no confinement)"),
    ],
)
def test_none_backend_when_allowed(name: str, command: str, unsafe: bool, expected: str) -> None:
    backend = selection.select_backend(name, command, unsafe)  # type: ignore[arg-type]
    assert (backend.name, backend.notice) == ("none", expected)


@pytest.mark.parametrize(
    ("name", "command", "message"),
    [
        ("none", "grade", "grader grade refuses it unless --unsafe-no-sandbox"),
        ("docker", "grade", "unknown backend 'docker' (choose from auto, bwrap, landlock, none)"),
    ],
)
def test_refused_backends(name: str, command: str, message: str) -> None:
    with pytest.raises(SandboxUnavailable, match=re.escape(message)):
        selection.select_backend(name, command)  # type: ignore[arg-type]


@pytest.mark.sandbox
@pytest.mark.skipif(selection.bwrap_problem() is not None, reason="bubblewrap unusable here")
def test_auto_picks_bwrap_and_says_so_in_one_line() -> None:
    backend = selection.select_backend("auto", "grade")
    assert backend.name == "bwrap"
    assert backend.notice.startswith("sandbox: bwrap (bubblewrap, ")
    assert "\n" not in backend.notice


def test_check_falls_back_to_none_with_a_notice(no_isolation: None) -> None:
    backend = selection.select_backend("auto", "check")
    assert backend.name == "none"
    assert backend.notice.startswith("sandbox: none (bwrap: bubblewrap is not installed")
    assert "apt-get install bubblewrap" in backend.notice
    assert "\n" not in backend.notice


def test_grade_refuses_to_run_unconfined(no_isolation: None) -> None:
    with pytest.raises(SandboxUnavailable) as raised:
        selection.select_backend("auto", "grade")
    assert "no isolation backend works here" in str(raised.value)
    assert "apt-get install bubblewrap" in str(raised.value)
    assert "--unsafe-no-sandbox" in str(raised.value)


@pytest.mark.skipif(selection.bwrap_problem() is not None, reason="needs a working bwrap")
def test_the_api_confines_kernels_by_default() -> None:
    """The README's `GradeOptions(seed=1)`: the best backend that works, chosen once."""
    assert GradeOptions(seed=1).sandbox == selection.select_backend("bwrap")


def test_the_api_refuses_to_run_unconfined_by_default(no_isolation: None) -> None:
    with pytest.raises(SandboxUnavailable, match="no isolation backend works here"):
        GradeOptions(seed=1)
    assert GradeOptions(seed=1, sandbox=selection.select_backend("none", "check")).sandbox.name == (
        "none"
    )  # asked for by name: trusted code


def test_explicit_bwrap_says_how_to_install_it(no_isolation: None) -> None:
    with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap"):
        selection.select_backend("bwrap", "check")


def test_every_confinement_is_in_the_registry() -> None:
    """A new backend is its box's module plus one line of CONFINEMENTS: a name of ConfinedName
    without its line (or a line without its name) fails here."""
    assert list(selection.CONFINEMENTS) == list(get_args(selection.ConfinedName))
    assert set(BACKEND_NAMES) == {"auto", "none", *selection.CONFINEMENTS}


@pytest.mark.skipif(selection.bwrap_problem() is not None, reason="needs a working bwrap")
def test_a_dask_worker_keeps_the_runs_decision() -> None:
    """A worker's backend is the one the run chose, with this machine's cgroups."""
    chosen = selection.select_backend("bwrap", "grade")
    assert chosen.on_this_machine() == chosen
    unconfined = selection.select_backend("none", "grade", unsafe_no_sandbox=True)
    assert unconfined.on_this_machine() is unconfined  # the run's policy allowed it


def test_a_dask_worker_without_the_runs_sandbox_refuses(no_isolation: None) -> None:
    chosen = selection.Backend("bwrap", "sandbox: bwrap")
    with pytest.raises(SandboxUnavailable, match="bwrap does not work on this machine"):
        chosen.on_this_machine()  # never a weaker one


@pytest.fixture
def course(tmp_path: Path) -> Path:
    for directory in ("assignments/tp1", "students/alice", "students/bob", "out", "mirror"):
        (tmp_path / directory).mkdir(parents=True)
    return tmp_path


@pytest.mark.parametrize("box_type", [BwrapBox, LandlockBox])
@pytest.mark.parametrize(
    ("workdir", "protected", "mirror"),
    [
        ("assignments/tp1/scratch", ["assignments/tp1"], None),  # scratch inside hidden checks
        ("students/alice", ["students/alice/notes"], None),  # a protected path inside scratch
        ("students/alice", ["students"], None),  # all students protected, alice included
        ("students/alice", ["assignments"], "assignments/models"),  # mirror inside assignments
    ],
    ids=["scratch-in-assignment", "protected-in-scratch", "students-dir", "mirror"],
)
def test_box_refuses_to_mount_a_protected_path(
    course: Path, box_type: type, workdir: str, protected: list[str], mirror: str | None
) -> None:
    (course / workdir).mkdir(parents=True, exist_ok=True)
    with pytest.raises(SandboxUnavailable, match=r"protected path .* overlaps"):
        box_type(
            course / workdir,
            Limits(),
            protected=[course / p for p in protected],
            mirror=course / mirror if mirror else None,
        )


@pytest.mark.parametrize("box_type", [BwrapBox, LandlockBox])
def test_a_folder_whose_name_extends_a_protected_one_is_not_protected(
    course: Path, box_type: type
) -> None:
    (course / "students/alice2").mkdir()
    protected = [course / "students/alice", course / "students/bob", course / "out"]
    for _ in range(2):  # the protected paths are resolved once, then reused
        box = box_type(course / "students/alice2", Limits(), protected=protected)
        asyncio.run(box.close())


def test_backend_opens_a_box_beside_protected_paths(course: Path) -> None:
    backend = selection.Backend("none", "sandbox: none")
    box = backend.open(course / "students/alice", Limits(), protected=[course / "assignments"])
    try:
        assert isinstance(box, UnsandboxedBox)
        assert box.km.kernel_spec.interrupt_mode == "message"
    finally:
        asyncio.run(box.close())
    assert not box.runtime_dir.exists()


@pytest.mark.parametrize("box_type", [BwrapBox, LandlockBox])
def test_a_box_refused_for_its_socket_dir_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, box_type: type
) -> None:
    """The kernel's socket directory is only known once made: refused then, and removed."""
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(runtime))  # a grader that is not root
    monkeypatch.setattr(boxes, "runtime_parent", lambda: str(runtime))  # and one that is
    (tmp_path / "scratch").mkdir()
    with pytest.raises(SandboxUnavailable, match="protected path"):
        box_type(tmp_path / "scratch", Limits(), protected=[runtime])
    assert list(runtime.iterdir()) == []


HYBRID_MOUNTINFO = """\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
35 31 0:32 / {root}/memory rw,relatime - cgroup cgroup rw,memory
38 31 0:35 / {root}/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / {root}/unified rw,relatime - cgroup2 cgroup2 rw
"""
HYBRID_CGROUP = "8:pids:/\n4:memory:/process_api/abc\n0::/\n"
UNIFIED_MOUNTINFO = "30 23 0:27 / {root}/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
UNIFIED_CGROUP = "0::/grading\n"


def test_detects_cgroup_v1_on_a_hybrid_layout(tmp_path: Path) -> None:
    (tmp_path / "memory/process_api/abc").mkdir(parents=True)
    (tmp_path / "pids").mkdir()
    (tmp_path / "unified").mkdir()
    (tmp_path / "unified/cgroup.controllers").write_text("hugetlb\n")
    layout = detect_layout(HYBRID_MOUNTINFO.format(root=tmp_path), HYBRID_CGROUP)
    assert layout == CgroupLayout(1, tmp_path / "memory/process_api/abc", tmp_path / "pids")


def test_detects_cgroup_v2_with_memory_and_pids(tmp_path: Path) -> None:
    (tmp_path / "unified/grading").mkdir(parents=True)
    (tmp_path / "unified/grading/cgroup.controllers").write_text("cpu memory pids\n")
    (tmp_path / "unified/grading/cgroup.subtree_control").write_text("")
    layout = detect_layout(UNIFIED_MOUNTINFO.format(root=tmp_path), UNIFIED_CGROUP)
    grading = tmp_path / "unified/grading"
    assert layout == CgroupLayout(2, grading, grading, grading)  # cpu.stat is always there


def test_a_cpuacct_hierarchy_times_the_kernels(tmp_path: Path) -> None:
    mountinfo = (
        HYBRID_MOUNTINFO + "33 31 0:30 / {root}/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
    )
    for folder in ("memory/process_api/abc", "pids", "unified", "cpu,cpuacct/grading"):
        (tmp_path / folder).mkdir(parents=True)
    layout = detect_layout(
        mountinfo.format(root=tmp_path), HYBRID_CGROUP + "2:cpu,cpuacct:/grading\n"
    )
    assert layout.cpu_dir == tmp_path / "cpu,cpuacct/grading"
    assert layout.describe() == "cgroup v1 memory+pids+cpuacct"


def test_no_usable_cgroup_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "unified/grading").mkdir(parents=True)
    (tmp_path / "unified/grading/cgroup.controllers").write_text("hugetlb\n")
    with pytest.raises(CgroupUnavailable, match="no writable cgroup for memory, pids") as raised:
        detect_layout(UNIFIED_MOUNTINFO.format(root=tmp_path), UNIFIED_CGROUP)
    assert "cgroup v2 offers 'hugetlb'" in str(raised.value)


def test_cgroup_v2_limits_are_written(tmp_path: Path) -> None:
    """The v2 control files, on a stand-in directory (these machines only have v1)."""
    base = tmp_path / "grading"
    base.mkdir()
    (base / "cgroup.subtree_control").write_text("")
    cgroup = KernelCgroup(CgroupLayout(2, base, base), memory_bytes=2**30, processes=64)
    assert (base / "cgroup.subtree_control").read_text() == "+memory +pids"
    assert (cgroup.memory_dir / "memory.max").read_text() == str(2**30)
    assert (cgroup.memory_dir / "memory.swap.max").read_text() == "0"
    assert (cgroup.pids_dir / "pids.max").read_text() == "64"
    assert cgroup.procs_files == [cgroup.memory_dir / "cgroup.procs"]
    (cgroup.memory_dir / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    assert cgroup.oom_kills() == 1
    cgroup.kill_all(timeout_s=0)
    assert (cgroup.memory_dir / "cgroup.kill").read_text() == "1"


@pytest.mark.sandbox
def test_real_cgroup_v2_limits_and_kill() -> None:
    layout = selection.cgroup_layout()
    if not isinstance(layout, CgroupLayout) or layout.version != 2:
        pytest.skip("this machine's memory and pids controllers are on cgroup v1, not v2")
    cgroup = KernelCgroup(layout, memory_bytes=2**28, processes=16)
    try:
        assert (cgroup.memory_dir / "memory.max").read_text().strip() == str(2**28)
        assert (cgroup.pids_dir / "pids.max").read_text().strip() == "16"
    finally:
        cgroup.remove()
    assert not cgroup.memory_dir.exists()


@pytest.mark.sandbox
def test_real_cgroup_v1_limits_are_created_and_removed() -> None:
    layout = selection.cgroup_layout()
    if not isinstance(layout, CgroupLayout) or layout.version != 1:
        pytest.skip(f"no cgroup v1 memory+pids here: {layout}")
    cgroup = KernelCgroup(layout, memory_bytes=2**28, processes=16)
    try:
        assert (cgroup.memory_dir / "memory.limit_in_bytes").read_text().strip() == str(2**28)
        assert (cgroup.pids_dir / "pids.max").read_text().strip() == "16"
        assert cgroup.pids() == set()
    finally:
        cgroup.remove()
    assert not cgroup.memory_dir.exists() and not cgroup.pids_dir.exists()


def test_doctor_has_one_line_per_primitive(tmp_path: Path) -> None:
    (tmp_path / "hub/models--gpt2").mkdir(parents=True)
    names = [status.name for status in diagnose(tmp_path)]
    assert names == [
        "bubblewrap",
        "user namespaces",
        "cgroup memory",
        "cgroup pids",
        "seccomp",
        "Landlock",
        "kernel user",
        "warm start",
        "model mirror",
    ]
    mirror = diagnose(tmp_path)[-1]
    assert mirror.ok and "1 model(s)" in mirror.detail


@pytest.mark.skipif(os.geteuid() != 0, reason="as root only")
def test_doctor_says_kernels_run_as_nobody_when_grader_is_root() -> None:
    user = next(status for status in diagnose() if status.name == "kernel user")
    assert user.detail.startswith("nobody (uid 65534, gid 65534), no group, no capability")


def test_doctor_gives_the_fix_for_each_missing_primitive(
    no_isolation: None, tmp_path: Path
) -> None:
    statuses = {status.name: status for status in diagnose(tmp_path / "absent")}
    assert statuses["bubblewrap"].ok is False
    assert statuses["bubblewrap"].fix == "apt-get install bubblewrap"
    assert statuses["model mirror"].ok is False
    assert statuses["model mirror"].fix is not None
    assert statuses["warm start"].ok is False  # no namespaces to fork kernels into
    assert all(s.fix for s in statuses.values() if not s.ok and s.name != "user namespaces")


def test_doctor_command_prints_one_line_each(no_isolation: None) -> None:
    result = CliRunner().invoke(doctor, [])
    lines = result.output.splitlines()
    assert result.exit_code == 1
    assert lines[0] == "MISSING bubblewrap: not installed  -> apt-get install bubblewrap"
    assert len(lines) == 10
    assert lines[-1].startswith("grade would use: sandbox: ")


def test_doctor_command_json() -> None:
    result = CliRunner().invoke(doctor, ["--format", "json"])
    report = json.loads(result.output)
    assert report["primitives"][0]["name"] == "bubblewrap"
    assert result.exit_code == (0 if all(p["ok"] for p in report["primitives"]) else 1)
