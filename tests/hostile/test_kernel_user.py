"""No student code runs as host root, whoever starts grader (issue: hostile class, point 1), and
the kernel's whole writable space is bounded (point 5).

Through the whole pipeline, `grader grade` run as root (the case of a CI container, a course
server and `make demo`) with the bwrap box forked warm, fresh, and with Landlock: a notebook
that is the full solution plus attack cells, beside a normal student. Each attack cell raises
with what it found, so its cell error in results/<student>.json says what the kernel could do.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from grader.sandbox.kernel_user import FILES_PER_KERNEL, KERNEL_UID
from grader.sandbox.selection import landlock_problem
from tests.conftest import EXAMPLES, gradebook_rows, grader_command, in_bwrap_boxes

IDENTITY = """
import ctypes, os, time
ctypes.CDLL(None).prctl(15, b"grader-attack", 0, 0, 0)  # PR_SET_NAME: found by the host's poll
time.sleep(3)
status = dict(line.split(":\\t", 1) for line in open("/proc/self/status").read().splitlines())
raise RuntimeError(f"uid {os.getuid()} gid {os.getgid()} groups {os.getgroups()} "
                   f"caps {int(status['CapEff'], 16)}")
"""


class HostUids:
    """Polls the host's /proc for the attack cell's process (it names itself grader-attack) and
    records its real, effective, saved and filesystem uids as the host sees them."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self.stop.wait(0.05):
            for comm in Path("/proc").glob("[0-9]*/comm"):
                try:
                    if comm.read_text().strip() == "grader-attack":
                        status = (comm.parent / "status").read_text()
                        self.seen.add(status.split("\nUid:")[1].split("\n")[0].strip())
                except OSError:
                    continue

    def __enter__(self) -> HostUids:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


TUNABLES = """
outcomes = []
for path, value in [("/proc/sys/kernel/printk_ratelimit", "7"),
                    ("/proc/sys/kernel/core_pattern", "|/tmp/x.sh"),
                    ("/proc/sys/vm/drop_caches", "3"), ("/proc/sysrq-trigger", "h")]:
    try:
        with open(path, "w") as handle:
            handle.write(value)
        outcomes.append("WROTE " + path)
    except OSError as error:
        outcomes.append(str(error.errno))
raise RuntimeError(" ".join(outcomes))
"""

ROOT_ONLY = """
outcomes = []
for path in ["/etc/ssl/private", "/proc/kcore"]:
    try:
        os.listdir(path) if path.startswith("/etc") else open(path, "rb").read(1)
        outcomes.append("READ " + path)
    except OSError as error:
        outcomes.append(str(error.errno))
raise RuntimeError(" ".join(outcomes))
"""

FREE_SPACE = """
import os
stat = os.statvfs(".")
raise RuntimeError(f"size {stat.f_blocks * stat.f_frsize} files {stat.f_files}")
"""

FILL_FOLDER = """
for index in range(40):  # 16 MiB files (under RLIMIT_FSIZE) until 640 MiB: past the limit
    with open(f"filler-{index}", "wb") as handle:
        for _ in range(16):
            handle.write(b"x" * 2**20)
"""

MANY_FILES = """
import os
os.makedirs("many", exist_ok=True)
for index in range(50_000):
    open(f"many/{index}", "w").close()
"""

ATTACKS = [IDENTITY, TUNABLES, ROOT_ONLY, FREE_SPACE, FILL_FOLDER, MANY_FILES]
DISK = 256 * 1024**2  # tp-attention's limits.disk, the default


def attacker(path: Path) -> Path:
    notebook = nbformat.read(EXAMPLES / "alice.ipynb", as_version=4)
    notebook.cells += [new_code_cell(source) for source in ATTACKS]
    nbformat.write(notebook, path)
    return path


def host_tunables() -> dict[str, str]:
    return {
        name: Path(f"/proc/sys/kernel/{name}").read_text()
        for name in ("printk_ratelimit", "core_pattern")
    }


MODES = {
    "warm": [],
    "fresh": ["--fresh-kernels"],
    "landlock": ["--sandbox", "landlock"],
}


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="what root's kernels can do needs root")
@pytest.mark.parametrize("mode", list(MODES))
@in_bwrap_boxes
def test_kernels_run_as_nobody_and_reach_nothing_of_root(
    mode: str, tmp_path: Path, course_mirror: Path, assignment_copy: Path
) -> None:
    if mode == "landlock" and landlock_problem() is not None:
        pytest.skip(f"Landlock: {landlock_problem()}")
    spec = assignment_copy / "assignment.yaml"  # MiniLM's cell takes 15 s on a loaded machine
    spec.write_text(spec.read_text().replace("cell_timeout: 15", "cell_timeout: 60"))
    before = host_tunables()
    normal = tmp_path / "alice.ipynb"
    normal.write_bytes((EXAMPLES / "alice.ipynb").read_bytes())
    out = tmp_path / "out"
    with HostUids() as host:
        done = grader_command(
            "grade", str(assignment_copy), str(normal), str(attacker(tmp_path / "mallory.ipynb")),
            "--out", str(out), "-j", "2", "--mirror", str(course_mirror), *MODES[mode],
        )  # fmt: skip
    assert done.returncode <= 1, done.stderr
    assert host_tunables() == before
    rows = {row["student"]: row for row in gradebook_rows(out)}
    assert float(rows["alice"]["score"]) == 20
    assert (out / "summary.html").is_file() and (out / "moodle.csv").is_file()

    result: dict[str, Any] = json.loads((out / "results" / "mallory.json").read_text())
    errors = [cell["error"] for cell in result["execution"]["cells"][-len(ATTACKS) :]]
    identity, tunables, root_only, free_space, fill, many = errors
    assert host.seen == {"\t".join([str(KERNEL_UID)] * 4)}  # real, effective, saved, fs
    assert identity == f"RuntimeError: uid {KERNEL_UID} gid {KERNEL_UID} groups [] caps 0"
    assert "WROTE" not in tunables, tunables
    assert "READ" not in root_only, root_only
    if Path("/etc/ssl/private").is_dir():  # root's folder (Debian's), nobody's kernel: EACCES
        assert root_only.split()[1] == "13", root_only
    assert free_space == f"RuntimeError: size {DISK} files {FILES_PER_KERNEL}"
    assert fill.startswith("OSError: [Errno 28]"), fill  # ENOSPC
    assert many.startswith("OSError: [Errno 28]"), many
    assert (
        "a dépassé l'espace disque autorisé (256 Mio pour le dossier du notebook"
        in (result["execution"]["message"])
    )
