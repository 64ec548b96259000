"""The strict box: bubblewrap namespaces, a cgroup, rlimits and seccomp around one kernel.

Inside: uid 65534 in its own user, mount, pid, network, ipc and uts namespaces, which is the
unprivileged host user `nobody` when the grader runs as root (bwrap itself runs as that user, see
kernel_user.py); an allow-list of read-only system paths (never `/` whole); kernel tunables
(/proc/sys, sysrq) read-only; the scratch directory read-write as cwd; a private size-limited
/tmp; the kernel's socket directory at the same path as outside, so that nbclient reaches it over
ZeroMQ ipc (TCP does not cross a network namespace); no environment from the grader.

The filesystem view is data (`Mount` steps, in bwrap's terms): bwrap's command line is made from
it, and a warm kernel (grader/sandbox/warm.py) builds the very same view with its own mounts.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from grader.sandbox import policy
from grader.sandbox.boxes import home_environment, kernel_environment
from grader.sandbox.confined import ConfinedBox
from grader.sandbox.kernel_user import reachable
from grader.sandbox.limits import Limits

BWRAP = "/usr/bin/bwrap"
SANDBOX_UID = 65534
SANDBOX_HOSTNAME = "sandbox"
INNER_IN_BOX = "/opt/grader/inner.py"

MountKind = Literal[
    "ro-bind", "ro-bind-try", "bind", "symlink", "proc", "dev", "tmpfs", "remount-ro"
]


@dataclass(frozen=True)
class Mount:
    """One step of the box's filesystem view: `kind` is the bwrap option of the same name;
    `source` is the host path bound (or a symlink's target), `size` a tmpfs's size in bytes."""

    kind: MountKind
    dest: str
    source: str = ""
    size: int = 0

    def bwrap_arguments(self) -> list[str]:
        if self.kind in ("ro-bind", "ro-bind-try", "bind", "symlink"):
            return [f"--{self.kind}", self.source, self.dest]
        if self.kind == "tmpfs":
            return ["--size", str(self.size), "--tmpfs", self.dest]
        return [f"--{self.kind}", self.dest]

    def to_json(self) -> dict[str, str | int]:
        return asdict(self)


def box_environment(limits: Limits, mirror: Path | None) -> dict[str, str]:
    """The kernel's whole environment inside the box (the same for every student)."""
    environment = kernel_environment(Path("/tmp"), limits, mirror)
    environment.update(home_environment(Path("/tmp")), PYTHONNOUSERSITE="1", USER="student")
    return environment


class BwrapBox(ConfinedBox):
    backend = "bwrap"

    bwrap = BWRAP  # the bwrap binary; a test names a missing one

    def _furnish(self, protected: Sequence[Path]) -> None:
        policy.check_protected([self.kernel_dir], protected)
        self._write_identity()

    def _write_identity(self) -> None:
        """A passwd/group naming only the student, so getpwuid() works without the host's."""
        (self.runtime_dir / "passwd").write_text(
            f"student:x:{SANDBOX_UID}:{SANDBOX_UID}:student:/tmp:/usr/sbin/nologin\n"
        )
        (self.runtime_dir / "group").write_text(f"student:x:{SANDBOX_UID}:\n")

    def _environment(self) -> dict[str, str]:
        return {"PATH": "/usr/bin:/bin"}  # the launcher's; bwrap clears it for the kernel

    def view(self, *, launcher: bool = True) -> list[Mount]:
        """What the kernel sees, in order (a mount below /tmp must follow /tmp's tmpfs);
        `launcher`: the inner launcher at INNER_IN_BOX (a warm kernel needs none)."""
        steps = [Mount("ro-bind", "/usr", "/usr")]
        for top in policy.SYSTEM_DIRS[1:]:
            if os.path.islink(top):
                steps.append(Mount("symlink", top, os.readlink(top)))
            elif os.path.isdir(top):
                steps.append(Mount("ro-bind", top, top))
        steps += [Mount("ro-bind-try", etc, etc) for etc in policy.ETC_FILES]
        steps += [
            Mount("ro-bind", "/etc/passwd", str(self.runtime_dir / "passwd")),
            Mount("ro-bind", "/etc/group", str(self.runtime_dir / "group")),
            Mount("proc", "/proc"),
            *[Mount("ro-bind-try", path, path) for path in policy.PROC_TUNABLES],
            Mount("dev", "/dev"),
            Mount("tmpfs", "/tmp", size=self.limits.disk_bytes),
            Mount("tmpfs", "/dev/shm", size=self.limits.disk_bytes),
        ]
        steps += [Mount("ro-bind", str(p), str(reachable(p))) for p in policy.python_prefixes()]
        if launcher:
            steps.append(Mount("ro-bind", INNER_IN_BOX, str(reachable(policy.INNER_LAUNCHER))))
        if self.mirror is not None:
            steps.append(Mount("ro-bind", str(self.mirror), str(reachable(self.mirror))))
        steps += [
            Mount("bind", str(self.kernel_dir), str(self.kernel_dir)),
            Mount("bind", str(self.workdir), str(reachable(self.workdir))),
            Mount("remount-ro", "/"),  # the box's own root: its mount-point skeleton
        ]
        return steps

    def bwrap_arguments(self) -> list[str]:
        args = [
            self.bwrap,
            "--unshare-all",
            "--unshare-user",  # root's bwrap skips the user namespace without it
            "--disable-userns",  # and none may be created inside
            "--die-with-parent",
            "--new-session",
            "--uid", str(SANDBOX_UID),
            "--gid", str(SANDBOX_UID),
            "--hostname", SANDBOX_HOSTNAME,
        ]  # fmt: skip
        for step in self.view():
            args += step.bwrap_arguments()
        args += ["--chdir", str(self.workdir), "--clearenv"]
        for name, value in box_environment(self.limits, self.mirror).items():
            args += ["--setenv", name, value]
        return args

    def _kernel_argv(self) -> list[str]:
        inner = policy.inner_command(
            self.limits, INNER_IN_BOX, seccomp=self.seccomp, pids_cgroup=self.cgroup is not None
        )
        box = [*policy.as_kernel_user(), *self.bwrap_arguments(), *inner]
        return policy.outer_command(self._cgroup_procs(), box)
