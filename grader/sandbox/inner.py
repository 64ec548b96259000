"""Inner launcher, the first code of the kernel process: `python inner.py CONFIG_JSON -f CONN`.

Runs inside the box (or directly under the Landlock backend) and confines the process before any
student code exists: rlimits, then an optional Landlock ruleset, then seccomp, then ipykernel in
this same process. Standard library and pyseccomp only: the grader package is not visible here.
CONFIG_JSON: {"rlimits": {"RLIMIT_AS": n, ...}, "landlock": {"read": [...], "write": [...]} | null,
"seccomp": bool}.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import resource
import runpy
import socket
import sys
from typing import Any

# Syscalls a notebook never needs and an attacker would: kernel attack surface, namespaces.
DENIED_SYSCALLS = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kexec_load", "kexec_file_load",
    "init_module", "finit_module", "delete_module", "bpf", "perf_event_open", "userfaultfd",
    "keyctl", "add_key", "request_key", "mount", "umount2", "pivot_root", "swapon", "swapoff",
    "reboot", "setns", "unshare", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "open_by_handle_at", "name_to_handle_at", "quotactl", "acct", "settimeofday",
    "clock_settime", "syslog", "vhangup", "fanotify_init", "move_mount", "open_tree", "fsopen",
    "fsmount", "fsconfig", "fspick",
)  # fmt: skip
# IP and raw sockets are refused; AF_UNIX (ZeroMQ ipc) and AF_NETLINK (libzmq's getifaddrs,
# which aborts the kernel when it fails) stay allowed.
DENIED_FAMILIES = (socket.AF_INET, socket.AF_INET6, getattr(socket, "AF_PACKET", 17))


def set_rlimits(rlimits: dict[str, int]) -> None:
    for name, value in rlimits.items():
        resource.setrlimit(getattr(resource, name), (value, value))


def load_seccomp() -> None:
    import pyseccomp as seccomp

    rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    for name in DENIED_SYSCALLS:
        # A syscall this architecture or libseccomp does not know is skipped.
        with contextlib.suppress(RuntimeError, ValueError, OSError):
            rules.add_rule(seccomp.ERRNO(errno.EPERM), name)
    for family in DENIED_FAMILIES:
        rules.add_rule(
            seccomp.ERRNO(errno.EAFNOSUPPORT), "socket", seccomp.Arg(0, seccomp.EQ, family)
        )
    rules.load()  # also sets no_new_privs


# Landlock, by raw syscalls (x86_64 and aarch64 share these numbers).
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_EXECUTE, _WRITE_FILE, _READ_FILE, _READ_DIR = 1, 2, 4, 8
_TRUNCATE, _IOCTL_DEV = 1 << 14, 1 << 15


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi() -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    return int(libc.syscall(_CREATE_RULESET, None, 0, 1))  # LANDLOCK_CREATE_RULESET_VERSION


def load_landlock(read: list[str], write: list[str]) -> None:
    """Allow-list: read/execute below `read`, everything below `write`, nothing elsewhere;
    from ABI 4 no TCP bind/connect, from ABI 6 no signal or abstract socket outside the box."""
    libc = ctypes.CDLL(None, use_errno=True)
    abi = landlock_abi()
    if abi < 1:
        raise OSError(ctypes.get_errno(), "Landlock is not enabled in this kernel")
    handled = (1 << 13) - 1 | (1 << 13 if abi >= 2 else 0)
    handled |= (_TRUNCATE if abi >= 3 else 0) | (_IOCTL_DEV if abi >= 5 else 0)
    file_rights = _EXECUTE | _WRITE_FILE | _READ_FILE | _TRUNCATE | _IOCTL_DEV
    attr = _RulesetAttr(handled, 3 if abi >= 4 else 0, 3 if abi >= 6 else 0)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = libc.syscall(_CREATE_RULESET, ctypes.byref(attr), size, 0)
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
    for paths, rights in ((read, _EXECUTE | _READ_FILE | _READ_DIR), (write, handled)):
        for path in paths:
            if not os.path.exists(path):
                continue
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            allowed = rights & handled if os.path.isdir(path) else rights & handled & file_rights
            rule = _PathBeneath(allowed, fd)
            failed = libc.syscall(_ADD_RULE, ruleset, 1, ctypes.byref(rule), 0) != 0
            os.close(fd)
            if failed:
                raise OSError(ctypes.get_errno(), f"landlock_add_rule {path}")
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    if libc.syscall(_RESTRICT_SELF, ruleset, 0) != 0:
        raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    os.close(ruleset)


def main(args: list[str]) -> None:
    config: dict[str, Any] = json.loads(args[0])
    set_rlimits(config["rlimits"])
    if config.get("landlock"):
        load_landlock(config["landlock"]["read"], config["landlock"]["write"])
    if config.get("seccomp"):
        load_seccomp()
    sys.argv = ["ipykernel_launcher", *args[1:]]
    runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
