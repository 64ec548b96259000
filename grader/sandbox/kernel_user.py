"""Who a confined kernel is on the host, and how it reaches what it needs without root.

No student code runs with the grader's privileges. When grader runs as root, every confined
kernel (bwrap, warm child, Landlock) runs as the unprivileged host user `nobody` (uid 65534,
group `nogroup` 65534), which owns nothing on the machine: root-only files are unreadable, kernel
tunables are not writable and no capability is left. Run by another user, the kernel keeps that
user's uid (it could not become anyone else), still in its own namespaces.

`nobody` cannot reach what lives in root's private folders (a Python under /root, the model
mirror in ~/.cache): the grader, in a mount namespace of its own that the host never sees, binds
each such source under a staging folder `nobody` may traverse, and the boxes bind it from there.
The same private namespace holds each submission's working folder, a tmpfs owned by the kernel
and bounded in size and files like /tmp, so that free space seen from a cell is that limit.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import tempfile
from pathlib import Path

from grader.sandbox.limits import Limits

KERNEL_UID = 65534  # nobody
KERNEL_GID = 65534  # nogroup
FILES_PER_KERNEL = 20_000  # inodes of the working folder's tmpfs (and of /tmp's)

_CLONE_NEWNS = 0x00020000
_MS_NOSUID, _MS_NODEV, _MS_BIND, _MS_REC, _MS_SLAVE = 2, 4, 4096, 16384, 1 << 19
_MNT_DETACH = 2
_libc = ctypes.CDLL(None, use_errno=True)


def drops_privileges() -> bool:
    """True when the grader runs as root: its kernels then run as `nobody`."""
    return os.geteuid() == 0


def kernel_ids() -> tuple[int, int]:
    """The host uid and gid of every confined kernel this grader starts."""
    if drops_privileges():
        return KERNEL_UID, KERNEL_GID
    return os.geteuid(), os.getegid()


def runtime_parent() -> str | None:
    """Where to make a folder the kernel's user must traverse (its sockets, the staging binds):
    /tmp when that user is nobody, since the grader's TMPDIR may be a folder of root's; else
    the usual temporary folder."""
    return "/tmp" if drops_privileges() else None


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    arguments = [None if value is None else value.encode() for value in (source, target, fstype)]
    if _libc.mount(*arguments, flags, data.encode()) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"mount {source or fstype} on {target}: {os.strerror(error)}")


# The grader's private mount namespace and its staging folder, named for the processes it starts
# (workers, the warm parent): they share both, so that a working folder one mounts is the one a
# kernel binds.
PRIVATE_MOUNTS_VARIABLE = "GRADER_MOUNT_NAMESPACE"
STAGE_VARIABLE = "GRADER_STAGE"


def _mount_namespace() -> str:
    return str(os.stat("/proc/thread-self/ns/mnt").st_ino)  # a thread may have its own


def enter_private_mounts() -> None:
    """Give this process (and every process it starts from now on) a mount namespace of its own,
    where mounts from the host still arrive but the grader's never leave, with a staging folder
    (a small tmpfs there: its mount points never touch the host's disk). Once per process tree;
    only root needs it (and only root may)."""
    if not drops_privileges() or os.environ.get(PRIVATE_MOUNTS_VARIABLE) == _mount_namespace():
        return
    if _libc.unshare(_CLONE_NEWNS) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"unshare(CLONE_NEWNS): {os.strerror(error)}")
    _mount(None, "/", None, _MS_REC | _MS_SLAVE)
    folder = tempfile.mkdtemp(prefix="grader-stage-", dir="/tmp")  # left empty on the host
    _mount("tmpfs", folder, "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=0755,size=1m")
    os.environ[PRIVATE_MOUNTS_VARIABLE] = _mount_namespace()
    os.environ[STAGE_VARIABLE] = folder
    atexit.register(_remove_stage, folder, os.getpid())


def _remove_stage(folder: str, owner: int) -> None:
    if os.getpid() == owner:  # not a forked child's
        _libc.umount2(folder.encode(), _MNT_DETACH)
        with contextlib.suppress(OSError):
            os.rmdir(folder)


class _Stage:
    """Binds of root-only sources in the staging folder, which `nobody` may traverse (root only),
    one per source and mount namespace."""

    def __init__(self) -> None:
        self.binds: dict[tuple[str, Path], Path] = {}
        self.count = 0

    def reachable(self, path: Path) -> Path:
        if not drops_privileges():
            return path
        enter_private_mounts()
        key = (_mount_namespace(), Path(os.path.realpath(path)))
        if key not in self.binds:
            self.count += 1
            target = Path(os.environ[STAGE_VARIABLE]) / f"{os.getpid()}-{self.count}"
            if key[1].is_dir():
                target.mkdir()
            else:
                target.touch()
            _mount(str(key[1]), str(target), None, _MS_BIND | _MS_REC)
            self.binds[key] = target
        return self.binds[key]

    def release(self, path: Path) -> None:
        if not drops_privileges():
            return
        target = self.binds.pop((_mount_namespace(), Path(os.path.realpath(path))), None)
        if target is not None:
            _libc.umount2(str(target).encode(), _MNT_DETACH)
            with contextlib.suppress(OSError):
                target.rmdir() if target.is_dir() else target.unlink()


_stage = _Stage()


def reachable(path: Path) -> Path:
    """Where a kernel's launcher, running as the kernel's uid, finds `path` (a folder or a file
    the box binds read-only): the path itself, or its bind in the grader's staging folder."""
    return _stage.reachable(path)


def release(path: Path) -> None:
    """Undo `reachable(path)` for a path of one box only (its working folder)."""
    _stage.release(path)


def mount_working_folder(workdir: Path, limits: Limits) -> bool:
    """Make the (empty) working folder a tmpfs of `limits.disk_bytes` and FILES_PER_KERNEL files,
    owned by the kernel, in the grader's private mount namespace. False when grader is not root:
    the folder stays a host folder, bounded per file only (RLIMIT_FSIZE)."""
    if not drops_privileges():
        return False
    enter_private_mounts()
    options = f"size={limits.disk_bytes},nr_inodes={FILES_PER_KERNEL},mode=0700"
    _mount("tmpfs", str(workdir), "tmpfs", _MS_NOSUID | _MS_NODEV, options)
    return True


def hand_over(workdir: Path) -> None:
    """Give the working folder and everything in it to the kernel's user (root copied them)."""
    if not drops_privileges():
        return
    uid, gid = kernel_ids()
    for folder, subfolders, files in os.walk(workdir):
        os.lchown(folder, uid, gid)
        for name in [*subfolders, *files]:
            os.lchown(os.path.join(folder, name), uid, gid)


def unmount_working_folder(workdir: Path) -> None:
    """Drop the working folder's tmpfs, and everything in it, at once."""
    _libc.umount2(str(workdir).encode(), _MNT_DETACH)
