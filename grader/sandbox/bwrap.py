"""The strict box: bubblewrap namespaces, a cgroup, rlimits and seccomp around one kernel.

Inside: uid 65534 in its own user, mount, pid, network, ipc and uts namespaces; an allow-list of
read-only system paths (never `/` whole: the grader may run as root, and bwrap's uid mapping does
not stop root's file access); the scratch directory read-write as cwd; a private size-limited
/tmp; the kernel's socket directory at the same path as outside, so that nbclient reaches it over
ZeroMQ ipc (TCP does not cross a network namespace); no environment from the grader.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from grader.sandbox import policy
from grader.sandbox.backend import kernel_environment
from grader.sandbox.cgroups import CgroupLayout, ConfinedBox
from grader.sandbox.limits import Limits

BWRAP = "/usr/bin/bwrap"
SANDBOX_UID = 65534
INNER_IN_BOX = "/opt/grader/inner.py"


class BwrapBox(ConfinedBox):
    backend = "bwrap"

    def __init__(
        self,
        workdir: Path,
        limits: Limits,
        *,
        protected: Sequence[Path] = (),
        mirror: Path | None = None,
        cgroups: CgroupLayout | None = None,
        seccomp: bool = True,
        bwrap: str = BWRAP,
    ) -> None:
        self.bwrap = bwrap
        visible = [*map(Path, policy.SYSTEM_DIRS), *policy.python_prefixes(), workdir]
        visible += [policy.INNER_LAUNCHER, *([mirror] if mirror else [])]
        policy.check_protected(visible, protected)
        super().__init__(workdir, limits, mirror, cgroups, seccomp)
        try:
            policy.check_protected([self.kernel_dir], protected)
            self._write_identity()
        except BaseException:
            self._abandon()
            raise

    def _write_identity(self) -> None:
        """A passwd/group naming only the student, so getpwuid() works without the host's."""
        (self.runtime_dir / "passwd").write_text(
            f"student:x:{SANDBOX_UID}:{SANDBOX_UID}:student:/tmp:/usr/sbin/nologin\n"
        )
        (self.runtime_dir / "group").write_text(f"student:x:{SANDBOX_UID}:\n")

    def _environment(self) -> dict[str, str]:
        return {"PATH": "/usr/bin:/bin"}  # the launcher's; bwrap clears it for the kernel

    def box_environment(self) -> dict[str, str]:
        """The kernel's whole environment inside the box."""
        environment = kernel_environment(self.workdir, self.limits, self.mirror)
        environment.update(
            HOME="/tmp",
            IPYTHONDIR="/tmp/.ipython",
            MPLCONFIGDIR="/tmp/.matplotlib",
            JUPYTER_RUNTIME_DIR="/tmp/.jupyter",
            PYTHONNOUSERSITE="1",
            USER="student",
        )
        return environment

    def bwrap_arguments(self) -> list[str]:
        tmp_size = str(self.limits.disk_bytes)
        args = [
            self.bwrap,
            "--unshare-all",
            "--unshare-user",  # root's bwrap skips the user namespace without it
            "--disable-userns",  # and none may be created inside
            "--die-with-parent",
            "--new-session",
            "--uid", str(SANDBOX_UID),
            "--gid", str(SANDBOX_UID),
            "--hostname", "sandbox",
            "--ro-bind", "/usr", "/usr",
        ]  # fmt: skip
        for top in policy.SYSTEM_DIRS[1:]:
            if os.path.islink(top):
                args += ["--symlink", os.readlink(top), top]
            elif os.path.isdir(top):
                args += ["--ro-bind", top, top]
        for etc in policy.ETC_FILES:
            args += ["--ro-bind-try", etc, etc]
        args += [
            "--ro-bind", str(self.runtime_dir / "passwd"), "/etc/passwd",
            "--ro-bind", str(self.runtime_dir / "group"), "/etc/group",
            "--proc", "/proc",
            "--dev", "/dev",
            # Mounts below /tmp must come after the tmpfs, or it hides them.
            "--size", tmp_size, "--tmpfs", "/tmp",
            "--size", tmp_size, "--tmpfs", "/dev/shm",
        ]  # fmt: skip
        for prefix in policy.python_prefixes():
            args += ["--ro-bind", str(prefix), str(prefix)]
        args += ["--ro-bind", str(policy.INNER_LAUNCHER), INNER_IN_BOX]
        if self.mirror is not None:
            args += ["--ro-bind", str(self.mirror), str(self.mirror)]
        args += [
            "--bind", str(self.kernel_dir), str(self.kernel_dir),
            "--bind", str(self.workdir), str(self.workdir),
            "--remount-ro", "/",  # bwrap's own root: its mount-point skeleton
            "--chdir", str(self.workdir),
            "--clearenv",
        ]  # fmt: skip
        for name, value in self.box_environment().items():
            args += ["--setenv", name, value]
        return args

    def _kernel_argv(self) -> list[str]:
        inner = policy.inner_command(self.limits, INNER_IN_BOX, seccomp=self.seccomp)
        return policy.outer_command(self._cgroup_procs(), [*self.bwrap_arguments(), *inner])
