"""Choosing the isolation backend: `auto` takes the best one that works here and says which.

`grader grade` runs untrusted notebooks: it refuses `none` unless `--unsafe-no-sandbox`.
`grader check` is a student on their own machine (maybe macOS): it falls back to `none`, with
the timeouts kept and a one-line notice.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from grader.errors import SandboxUnavailable
from grader.sandbox import policy
from grader.sandbox.boxes import KernelBox, UnsandboxedBox
from grader.sandbox.bwrap import BWRAP as BWRAP
from grader.sandbox.bwrap import BwrapBox
from grader.sandbox.cgroups import CgroupLayout, CgroupUnavailable, detect_layout
from grader.sandbox.confined import ConfinedBox
from grader.sandbox.landlock import LandlockBox
from grader.sandbox.limits import Limits
from grader.sandbox.warm import WarmBox, WarmParent, start_warm_parent
from grader.sandbox_names import BACKEND_NAMES, BackendName

ConfinedName = Literal["bwrap", "landlock"]
Command = Literal["grade", "check"]
T = TypeVar("T")

FIX_BWRAP = "apt-get install bubblewrap"
FIX_USERNS = "sysctl -w user.max_user_namespaces=15000 kernel.unprivileged_userns_clone=1"
FIX_SECCOMP = "pip install 'pyseccomp>=0.1.2,<0.2' && apt-get install libseccomp2"
FIX_LANDLOCK = "boot a kernel with CONFIG_SECURITY_LANDLOCK=y and 'landlock' in its lsm= list"


@dataclass(frozen=True)
class Backend:
    """The run's sandbox, decided once: which confinement (or none, where the policy allowed
    it), with this machine's cgroups and seccomp. `notice` is the one line the CLI prints."""

    name: Literal["bwrap", "landlock", "none"]
    notice: str
    cgroups: CgroupLayout | None = None
    seccomp: bool = False

    def open(
        self,
        workdir: Path,
        limits: Limits,
        *,
        protected: Sequence[Path],
        mirror: Path | None = None,
        warm_parent: Path | None = None,
    ) -> KernelBox:
        """A fresh box for one submission; SandboxUnavailable if it would expose `protected`,
        which every caller names (what the kernel must never see: the course's hidden checks,
        the other students). With `warm_parent` (a backend that forks kernels), its kernel is
        forked from that parent."""
        if self.name == "none":
            return UnsandboxedBox(workdir, limits, mirror)
        confinement = CONFINEMENTS[self.name]
        options: dict[str, Any] = {
            "protected": protected,
            "mirror": mirror,
            "cgroups": self.cgroups,
            "seccomp": self.seccomp,
        }
        if warm_parent is not None and confinement.forked_box is not None:
            return confinement.forked_box(workdir, limits, parent=warm_parent, **options)
        return confinement.box(workdir, limits, **options)

    @property
    def forks_kernels(self) -> bool:
        """Whether this backend's kernels can fork from a warm parent."""
        return self.name != "none" and CONFINEMENTS[self.name].forked_box is not None

    def start_warm_parent(
        self,
        preload: Sequence[str],
        limits: Limits,
        mirror: Path | None,
        solution_seconds: float | None = None,
    ) -> tuple[WarmParent | None, str]:
        """A warm parent for this backend's kernels (None: they start fresh), and the line
        that says which (and how much of the solution's import time it covers). The caller
        stops the parent."""
        return start_warm_parent(preload, self.name, limits, mirror, solution_seconds)

    def on_this_machine(self) -> Backend:
        """The same decision where this process runs (a Dask worker): the same confinement with
        this machine's cgroups and seccomp; SandboxUnavailable where it cannot run, never a
        weaker one."""
        if self.name == "none":
            return self  # the run's policy allowed it
        problem = CONFINEMENTS[self.name].problem()
        if problem is not None:
            raise SandboxUnavailable(
                f"sandbox: {self.name} does not work on this machine: {problem}"
            )
        return _confined(self.name)


@dataclass(frozen=True)
class Confinement:
    """One way of confining kernels: its box, why it cannot run here, how the notice names it,
    and its box around a kernel forked from a warm parent (None: it cannot fork kernels)."""

    box: Callable[..., ConfinedBox]
    problem: Callable[[], str | None]
    label: str
    forked_box: Callable[..., ConfinedBox] | None = None


def _run_quietly(argv: list[str]) -> str | None:
    """None when argv succeeds, else its last error line."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
    except OSError as exc:
        return str(exc)
    if done.returncode == 0:
        return None
    lines = (done.stderr or done.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit status {done.returncode}"


def _probe(off_linux: str) -> Callable[[Callable[[], T]], Callable[[], T | str]]:
    """A check of this machine, run once: `off_linux` answers it anywhere but on Linux."""

    def decorate(check: Callable[[], T]) -> Callable[[], T | str]:
        @functools.cache
        @functools.wraps(check)
        def probed() -> T | str:
            return check() if sys.platform.startswith("linux") else off_linux

        return probed

    return decorate


@_probe("bubblewrap needs Linux")
def bwrap_problem() -> str | None:
    """Why the bwrap box cannot run here (None: it can), with the command that fixes it."""
    if not os.access(BWRAP, os.X_OK):
        return f"bubblewrap is not installed ({FIX_BWRAP})"
    if os.geteuid() == 0 and not os.access(policy.SETPRIV, os.X_OK):
        return "setpriv is missing, needed to run kernels as nobody (apt-get install util-linux)"
    argv = [*policy.as_kernel_user(), BWRAP, "--unshare-all", "--unshare-user", "--disable-userns"]
    argv += ["--uid", "65534"]
    argv += ["--ro-bind", "/usr", "/usr", "--symlink", "usr/lib64", "/lib64"]
    argv += ["--symlink", "usr/lib", "/lib", "--proc", "/proc", "/usr/bin/true"]
    error = _run_quietly(argv)
    if error is not None:
        return f"bubblewrap cannot create namespaces: {error} ({FIX_USERNS})"
    return None


@_probe("Landlock needs Linux")
def landlock_problem() -> str | None:
    from grader.sandbox.inner import landlock_abi

    if landlock_abi() < 1:
        return f"Landlock is not enabled in this kernel ({FIX_LANDLOCK})"
    if os.geteuid() == 0 and not os.access(policy.SETPRIV, os.X_OK):
        return "setpriv is missing, needed to drop root's capabilities (apt-get install util-linux)"
    return None


@_probe("seccomp needs Linux")
def seccomp_problem() -> str | None:
    try:
        import pyseccomp

        pyseccomp.SyscallFilter(defaction=pyseccomp.ALLOW)
    except (ImportError, OSError, RuntimeError) as exc:
        return f"pyseccomp unusable: {exc} ({FIX_SECCOMP})"
    return None


@_probe("cgroups need Linux")
def cgroup_layout() -> CgroupLayout | str:
    """The cgroup layout, or why there is none."""
    try:
        return detect_layout()
    except (CgroupUnavailable, OSError) as exc:
        return str(exc)


# The confinements `auto` tries, best first; each name of ConfinedName has one (a test checks).
CONFINEMENTS: dict[ConfinedName, Confinement] = {
    "bwrap": Confinement(BwrapBox, bwrap_problem, "bubblewrap", WarmBox),
    "landlock": Confinement(LandlockBox, landlock_problem, "Landlock, no namespaces"),
}


def _confined(name: ConfinedName) -> Backend:
    layout = cgroup_layout()
    cgroups = layout if isinstance(layout, CgroupLayout) else None
    seccomp = seccomp_problem() is None
    parts = [
        CONFINEMENTS[name].label,
        cgroups.describe() if cgroups else "no cgroup: memory and processes bounded per process",
        "seccomp" if seccomp else "no seccomp",
    ]
    return Backend(name, f"sandbox: {name} ({', '.join(parts)})", cgroups, seccomp)


def select_backend(
    name: BackendName = "auto", command: Command = "grade", unsafe_no_sandbox: bool = False
) -> Backend:
    """The backend to run kernels with; SandboxUnavailable (with the fix) if it cannot work."""
    if name not in BACKEND_NAMES:
        raise SandboxUnavailable(
            f"--sandbox: unknown backend '{name}' (choose from {', '.join(BACKEND_NAMES)})"
        )
    if name == "none":
        if command == "grade" and not unsafe_no_sandbox:
            raise SandboxUnavailable(
                "--sandbox none runs student code unconfined: grader grade refuses it unless "
                "--unsafe-no-sandbox is given (trusted notebooks only)"
            )
        return Backend("none", "sandbox: none (trusted code only: timeouts, no confinement)")
    problems: dict[str, str] = {}
    for candidate in CONFINEMENTS:
        if name not in ("auto", candidate):
            continue
        problem = CONFINEMENTS[candidate].problem()
        if problem is None:
            return _confined(candidate)
        problems[candidate] = problem
    why = "; ".join(f"{backend}: {problem}" for backend, problem in problems.items())
    if name == "auto" and (command == "check" or unsafe_no_sandbox):
        return Backend("none", f"sandbox: none ({why}); running unconfined, with timeouts")
    raise SandboxUnavailable(
        f"sandbox: no isolation backend works here ({why})"
        + ("; for trusted notebooks only, pass --unsafe-no-sandbox" if command == "grade" else "")
    )
