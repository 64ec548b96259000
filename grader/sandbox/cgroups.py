"""One cgroup per kernel: memory and process limits on the whole process tree, and its CPU time.

RLIMIT_AS only bounds one process and RLIMIT_NPROC is ignored when the host uid is 0, so the
cgroup is what bounds a kernel and everything it forks. Both hierarchies are supported:
v1 (separate `memory` and `pids` controllers, as on the course's machines) and v2 (one unified
directory with memory.max, pids.max and cgroup.kill). The CPU time the tree used (v1's
`cpuacct` controller when it is mounted, v2's cpu.stat always) is the clock of a cell's time
limit, so that a loaded machine does not cost a student points (grader/sandbox/execute.py).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

CONTROLLERS = ("memory", "pids")
CPU_CONTROLLER = "cpuacct"  # v1 only, and optional: without it, cells are timed by the clock


class CgroupUnavailable(Exception):
    """No writable cgroup with memory and pids controllers; the message says what to do."""


@dataclass(frozen=True)
class CgroupLayout:
    """Where this process may create child cgroups, per controller (v2: one directory)."""

    version: int
    memory_dir: Path
    pids_dir: Path
    cpu_dir: Path | None = None  # where the kernel's CPU time is read (None: not measured)

    def describe(self) -> str:
        cpu = "+cpuacct" if self.cpu_dir is not None else " (no CPU accounting)"
        return f"cgroup v{self.version} memory+pids{cpu}"


def _cgroup_mounts(mountinfo: str) -> list[tuple[Path, str, str, set[str]]]:
    """(mount point, root inside the hierarchy, fstype, super options) of cgroup mounts."""
    mounts = []
    for line in mountinfo.splitlines():
        before, _, after = line.partition(" - ")
        fields = before.split()
        fstype, _source, super_options = ([*after.split(" ", 2), "", ""])[:3]
        if fstype in ("cgroup", "cgroup2"):
            mounts.append((Path(fields[4]), fields[3], fstype, set(super_options.split(","))))
    return mounts


def _own_paths(proc_cgroup: str) -> dict[str, str]:
    """Controller -> this process's cgroup path; "" is the v2 unified hierarchy."""
    own: dict[str, str] = {}
    for line in proc_cgroup.splitlines():
        _hierarchy, controllers, path = line.split(":", 2)
        if controllers == "":
            own[""] = path
        for controller in controllers.split(","):
            own[controller] = path
    return own


def _below(mount: Path, root: str, path: str) -> Path:
    if root != "/" and path.startswith(root):
        path = path[len(root) :]
    return mount / path.lstrip("/")


def detect_layout(mountinfo: str | None = None, proc_cgroup: str | None = None) -> CgroupLayout:
    """The cgroup hierarchy usable here, v2 first; raise CgroupUnavailable with the fix."""
    mountinfo = mountinfo if mountinfo is not None else Path("/proc/self/mountinfo").read_text()
    proc_cgroup = proc_cgroup if proc_cgroup is not None else Path("/proc/self/cgroup").read_text()
    mounts = _cgroup_mounts(mountinfo)
    own = _own_paths(proc_cgroup)
    v2_offers = ""
    for mount, root, fstype, _options in mounts:
        if fstype != "cgroup2" or "" not in own:
            continue
        base = _below(mount, root, own[""])
        try:
            v2_offers = (base / "cgroup.controllers").read_text().strip()
        except OSError:
            continue
        if set(CONTROLLERS) <= set(v2_offers.split()):
            if not os.access(base / "cgroup.subtree_control", os.W_OK):
                raise CgroupUnavailable(
                    f"cgroup v2 at {base} is not writable by uid {os.getuid()}: run the grader "
                    "as root or in a delegated cgroup "
                    "(systemd-run --user --scope -p Delegate=yes grader ...)"
                )
            return CgroupLayout(2, base, base, base)
    found: dict[str, Path] = {}
    for controller in (*CONTROLLERS, CPU_CONTROLLER):
        for mount, root, fstype, options in mounts:
            if fstype == "cgroup" and controller in options and controller in own:
                directory = _below(mount, root, own[controller])
                if os.access(directory, os.W_OK):
                    found[controller] = directory
                break
    if all(controller in found for controller in CONTROLLERS):
        return CgroupLayout(1, found["memory"], found["pids"], found.get(CPU_CONTROLLER))
    missing = ", ".join(c for c in CONTROLLERS if c not in found)
    raise CgroupUnavailable(
        f"no writable cgroup for {missing} (uid {os.getuid()}; cgroup v2 offers "
        f"'{v2_offers or 'nothing'}'): run the grader as root, or enable the controllers "
        "(kernel command line systemd.unified_cgroup_hierarchy=1, then "
        "systemd-run --user --scope -p Delegate=yes grader ...)"
    )


def _read_counter(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


class KernelCgroup:
    """The child cgroup(s) of one kernel: created before the launch, removed at close."""

    def __init__(self, layout: CgroupLayout, memory_bytes: int, processes: int) -> None:
        self.layout = layout
        name = "grader-" + uuid.uuid4().hex[:12]
        self.memory_dir = layout.memory_dir / name
        self.pids_dir = layout.pids_dir / name
        self.cpu_dir = layout.cpu_dir / name if layout.cpu_dir is not None else None
        if layout.version == 2:
            self._enable_v2_controllers()
        created: list[Path] = []
        try:
            for directory in self._directories:
                directory.mkdir()
                created.append(directory)
            if layout.version == 2:
                (self.memory_dir / "memory.max").write_text(str(memory_bytes))
                _write_optional(self.memory_dir / "memory.swap.max", "0")
                (self.pids_dir / "pids.max").write_text(str(processes))
            else:
                (self.memory_dir / "memory.limit_in_bytes").write_text(str(memory_bytes))
                _write_optional(self.memory_dir / "memory.memsw.limit_in_bytes", str(memory_bytes))
                (self.pids_dir / "pids.max").write_text(str(processes))
        except OSError:
            for directory in created:
                _remove_dir(directory)
            raise

    def _enable_v2_controllers(self) -> None:
        """Enable memory+pids for children; a cgroup holding processes must first move them to
        a leaf (the v2 "no internal processes" rule)."""
        base = self.layout.memory_dir
        wanted = " ".join("+" + c for c in CONTROLLERS)
        try:
            (base / "cgroup.subtree_control").write_text(wanted)
        except OSError as exc:
            if exc.errno != errno.EBUSY:
                raise
            leaf = base / "grader-supervisor"
            leaf.mkdir(exist_ok=True)
            for pid in (base / "cgroup.procs").read_text().split():
                _write_optional(leaf / "cgroup.procs", pid)
            (base / "cgroup.subtree_control").write_text(wanted)

    @property
    def _directories(self) -> list[Path]:
        """The kernel's cgroup in each hierarchy (one directory in v2)."""
        return list(dict.fromkeys(d for d in (self.memory_dir, self.pids_dir, self.cpu_dir) if d))

    @property
    def procs_files(self) -> list[Path]:
        """The cgroup.procs files the launcher writes its pid into before exec'ing the box."""
        return [d / "cgroup.procs" for d in self._directories]

    def cpu_seconds(self) -> float | None:
        """The CPU time (user + system) the kernel's whole tree has used; None if not measured."""
        if self.cpu_dir is None:
            return None
        if self.layout.version == 2:
            return _read_counter(self.cpu_dir / "cpu.stat", "usage_usec") / 1e6
        try:
            return int((self.cpu_dir / "cpuacct.usage").read_text()) / 1e9
        except (OSError, ValueError):
            return None

    def oom_kills(self) -> int:
        """How many processes the memory limit killed."""
        if self.layout.version == 2:
            return _read_counter(self.memory_dir / "memory.events", "oom_kill")
        return _read_counter(self.memory_dir / "memory.oom_control", "oom_kill")

    def peak_memory(self) -> int | None:
        """The most memory the kernel's tree held at once, in bytes (None when the kernel does
        not say: a v2 cgroup before Linux 5.19 has no memory.peak)."""
        name = "memory.peak" if self.layout.version == 2 else "memory.max_usage_in_bytes"
        try:
            return int((self.memory_dir / name).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def pids(self) -> set[int]:
        found: set[int] = set()
        for procs in self.procs_files:
            with contextlib.suppress(OSError):
                found.update(int(p) for p in procs.read_text().split())
        return found

    def kill_all(self, timeout_s: float = 5.0) -> None:
        """SIGKILL every process of the kernel's tree, including anything that escaped bwrap's
        pid namespace by double-forking (it is still in the cgroup)."""
        if self.layout.version == 2:
            _write_optional(self.memory_dir / "cgroup.kill", "1")
        deadline = time.monotonic() + timeout_s
        while (pids := self.pids()) and time.monotonic() < deadline:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.002)

    def remove(self) -> None:
        self.kill_all()
        for directory in self._directories:
            _remove_dir(directory)


def _write_optional(path: Path, value: str) -> None:
    """Write a control file that some kernels lack (no swap accounting, no cgroup.kill)."""
    with contextlib.suppress(OSError):
        path.write_text(value)


def _remove_dir(directory: Path) -> None:
    for _attempt in range(100):
        try:
            directory.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.02)  # the last processes are still exiting
