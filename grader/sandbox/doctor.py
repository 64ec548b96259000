"""`grader doctor`: which isolation primitives work on this machine, with the fix for each."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from grader.sandbox import selection
from grader.sandbox.cgroups import CgroupLayout
from grader.sandbox.kernel_user import drops_privileges, kernel_ids
from grader.sandbox.warm import warm_problem


@dataclass(frozen=True)
class PrimitiveStatus:
    name: str
    ok: bool
    detail: str  # what was found, or what is wrong
    fix: str | None = None  # the command (or step) that provides it


def _bubblewrap() -> PrimitiveStatus:
    if not os.access(selection.BWRAP, os.X_OK):
        return PrimitiveStatus("bubblewrap", False, "not installed", selection.FIX_BWRAP)
    version = subprocess.run(
        [selection.BWRAP, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return PrimitiveStatus("bubblewrap", True, f"{version} at {selection.BWRAP}")


def _user_namespaces() -> PrimitiveStatus:
    problem = selection.bwrap_problem()
    if problem is None:
        return PrimitiveStatus("user namespaces", True, "bwrap creates user, pid, net namespaces")
    if not os.access(selection.BWRAP, os.X_OK):
        return PrimitiveStatus("user namespaces", False, "untested: bubblewrap is missing")
    return PrimitiveStatus("user namespaces", False, problem, selection.FIX_USERNS)


def _cgroup(controller: str) -> PrimitiveStatus:
    layout = selection.cgroup_layout()
    name = f"cgroup {controller}"
    if isinstance(layout, CgroupLayout):
        directory = layout.memory_dir if controller == "memory" else layout.pids_dir
        files = {
            (1, "memory"): "memory.limit_in_bytes",
            (2, "memory"): "memory.max",
            (1, "pids"): "pids.max",
            (2, "pids"): "pids.max, cgroup.kill",
        }[layout.version, controller]
        return PrimitiveStatus(name, True, f"v{layout.version} ({files}) under {directory}")
    return PrimitiveStatus(name, False, layout, "run the grader as root, or in a delegated cgroup")


def _seccomp() -> PrimitiveStatus:
    problem = selection.seccomp_problem()
    if problem is None:
        return PrimitiveStatus("seccomp", True, "pyseccomp loads filters (IP sockets refused)")
    return PrimitiveStatus("seccomp", False, problem, selection.FIX_SECCOMP)


def _landlock() -> PrimitiveStatus:
    if not sys.platform.startswith("linux"):
        return PrimitiveStatus("Landlock", False, "needs Linux")
    from grader.sandbox.inner import landlock_abi

    abi = landlock_abi()
    if abi < 1:
        return PrimitiveStatus(
            "Landlock", False, "not enabled in this kernel", selection.FIX_LANDLOCK
        )
    scope = "files, TCP, signals" if abi >= 6 else "files, TCP" if abi >= 4 else "files only"
    return PrimitiveStatus("Landlock", True, f"ABI {abi} ({scope})")


def _kernel_user() -> PrimitiveStatus:
    uid, gid = kernel_ids()
    if drops_privileges():
        detail = f"nobody (uid {uid}, gid {gid}), no group, no capability: grader runs as root"
        return PrimitiveStatus("kernel user", True, detail)
    detail = f"uid {uid}, gid {gid}, the grader's own, in the box's namespaces"
    return PrimitiveStatus("kernel user", True, detail)


def _warm_start() -> PrimitiveStatus:
    problem = warm_problem("bwrap") or selection.bwrap_problem()
    if problem is None:
        detail = "kernels of an assignment with preload: fork from one warm parent"
        return PrimitiveStatus("warm start", True, detail)
    return PrimitiveStatus("warm start", False, problem, "kernels start fresh (slower, as safe)")


def _mirror(mirror: Path | None) -> PrimitiveStatus:
    fix = "pass --mirror DIR, a Hugging Face cache built for the assignment's models"
    if mirror is None:  # optional: only assignments that load models need it
        return PrimitiveStatus("model mirror", True, f"not configured ({fix})")
    if not (mirror / "hub").is_dir():
        return PrimitiveStatus("model mirror", False, f"{mirror} has no hub/ directory", fix)
    models = sorted(p.name for p in (mirror / "hub").glob("models--*"))
    return PrimitiveStatus(
        "model mirror", True, f"{mirror}, read-only, HF_HUB_OFFLINE=1, {len(models)} model(s)"
    )


def diagnose(mirror: Path | None = None) -> list[PrimitiveStatus]:
    """One status per primitive the sandbox relies on, in the order the backends use them."""
    return [
        _bubblewrap(),
        _user_namespaces(),
        _cgroup("memory"),
        _cgroup("pids"),
        _seccomp(),
        _landlock(),
        _kernel_user(),
        _warm_start(),
        _mirror(mirror),
    ]
