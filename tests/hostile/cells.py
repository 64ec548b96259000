"""Cell sources of hostile notebooks. Each prints a short, exact line the tests compare."""

from __future__ import annotations

import base64
import io
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def connect_tcp(port: int) -> str:
    return f"""
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=3).close()
    print("connected")
except OSError as exc:
    print("refused", exc.errno)
"""


def resolve_name(host: str) -> str:
    return f"""
import socket
try:
    print(socket.getaddrinfo({host!r}, 80))
except OSError as exc:
    print("no name resolution", exc.errno)
"""


def read_files(paths: Sequence[Path | str]) -> str:
    return f"""
for path in {[str(p) for p in paths]!r}:
    try:
        with open(path, "rb") as handle:
            print(path + ":", "read", len(handle.read()), "bytes")
    except OSError as exc:
        print(path + ":", type(exc).__name__)
"""


def write_files(paths: Sequence[str]) -> str:
    return f"""
for path in {list(paths)!r}:
    try:
        with open(path, "w") as handle:
            handle.write("pwned")
        print(path + ":", "written")
    except OSError as exc:
        print(path + ":", "errno", exc.errno)
"""


def fill_tmp(size: int) -> str:
    """Files of 16 MiB each (under RLIMIT_FSIZE) until `size` bytes are in /tmp."""
    return f"""
try:
    for index in range({size // 2**24}):
        with open(f"/tmp/filler-{{index}}", "wb") as handle:
            for _ in range(16):
                handle.write(b"x" * 2**20)
    print("filled")
except OSError as exc:
    print("errno", exc.errno)
"""


def fork_loop(count: int) -> str:
    """A bounded fork loop: the children sleep, so they count against the process limit."""
    return f"""
import os, signal, time
children, error = [], None
for _ in range({count}):
    try:
        pid = os.fork()
    except OSError as exc:
        error = exc
        break
    if pid == 0:
        time.sleep(10)
        os._exit(0)
    children.append(pid)
for pid in children:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
print(len(children), type(error).__name__)
"""


def children_exhaust_memory(children: int, each: int) -> str:
    """Children that each stay under RLIMIT_AS but together exceed the cgroup; the kernel makes
    itself the OOM killer's first choice (raising one's own oom_score_adj needs no privilege)."""
    return f"""
import os, time
for _ in range({children}):
    if os.fork() == 0:
        time.sleep(0.5)
        block = b"\\x01" * {each}
        time.sleep(30)
        os._exit(0)
with open("/proc/self/oom_score_adj", "w") as handle:
    handle.write("1000")
time.sleep(15)
print("survived")
"""


LOOP_IGNORING_SIGINT = """
import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    try:
        pass
    except KeyboardInterrupt:
        pass
"""


def look_for_secret(secret: str) -> str:
    return f"""
import glob, os
print("in environment:", any({secret!r} in value for value in os.environ.values()))
leaks = []
for path in glob.glob("/proc/*/environ"):
    try:
        with open(path, "rb") as handle:
            if {secret!r}.encode() in handle.read():
                leaks.append(path)
    except OSError:
        pass
print("in /proc:", leaks)
"""


IDENTITY = """
import os
status = dict(line.split(":\\t", 1) for line in open("/proc/self/status").read().splitlines())
print(os.getuid(), os.getgid(), status["CapEff"].strip(), os.environ["OMP_NUM_THREADS"],
      os.environ["HF_HUB_OFFLINE"])
"""


def host_processes_mentioning(text: str) -> list[int]:
    """Host processes whose command line mentions `text` (a box's runtime directory)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                if text.encode() in handle.read():
                    found.append(int(entry))
        except OSError:
            pass
    return found


# Tampering that works inside its own kernel (so no verdict may come from there) but must not
# outlive it: a monkeypatched numpy, and an input transformer rewriting every later cell.
TAMPER_NUMPY = "import numpy\nnumpy.allclose = lambda *args, **kwargs: True"
TAMPER_LATER_CELLS = """
def fake_success(lines):
    return ['print("ALL TESTS PASSED")\\n']
get_ipython().input_transformers_post.append(fake_success)
"""


# Probe answers that are bombs, each a Python expression that builds the JSON of one `value`
# (grader/checks/probe.py's kernel side sends {"value": ...}): every one stays under the 64 MiB
# message cap, so only the grader's bounds stand between it and the grader's memory.


def npy_claiming(shape: tuple[int, ...]) -> str:
    """An array whose `.npy` header claims `shape` (float64), with 8 bytes of data."""
    header = io.BytesIO()
    fields = {"descr": "<f8", "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(header, fields)  # type: ignore[no-untyped-call]
    raw = base64.b64encode(header.getvalue() + bytes(8)).decode()
    return repr(json.dumps({"__ndarray__": raw, "torch": False}))


PROBE_BOMBS = {
    "small-dicts": '"[" + "{}," * 20_000_000 + "{}]"',  # 60 MB, 20 million dicts
    "deep": '"[" * 100_000 + "]" * 100_000',
    "huge-string": '"\\"" + "x" * 60_000_000 + "\\""',
    "long-text": '"\\"" + "x" * 5_000_000 + "\\""',  # within the bytes, not as one text
    "numbers": '"[" + "1," * 15_000_000 + "1]"',  # 30 MB, within the bytes: 15 million numbers
    "npy-header": npy_claiming((10**6, 10**6)),  # 8 TB claimed, 8 bytes sent
}


def bomb_probe_answers(value: str) -> str:
    """Every later probe answer becomes `{"value": <value>}`: json.dumps is patched for the
    dicts the probe helper answers with (ipykernel's own messages are left alone)."""
    return f"""
import json
_bomb = '{{"value": ' + {value} + '}}'
_dumps = json.dumps
def _bombing_dumps(value, *args, **kwargs):
    if isinstance(value, dict) and value.keys() & {{"value", "__raised__", "__missing__"}}:
        return _bomb
    return _dumps(value, *args, **kwargs)
json.dumps = _bombing_dumps
"""
