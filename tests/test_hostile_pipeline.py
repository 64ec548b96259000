"""Hostile notebooks through the whole pipeline, in the bwrap sandbox (issue: strict sandbox).

Each is the correct submission plus one hostile cell at the end: the attack fails, the status
and the French sentence say what happened, the work graded before is kept, the host is untouched
and the other submissions are graded normally.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from grader.assignment.load import load_assignment
from grader.batch import grade_batch
from grader.grading import GradeOptions, Submission
from grader.results import GradeReport
from grader.sandbox.selection import select_backend
from grader.warm_start import warm_kernels
from tests.conftest import EXAMPLES

pytestmark = [pytest.mark.kernel, pytest.mark.sandbox, pytest.mark.slow]


@pytest.fixture
def loopback_server() -> Iterator[tuple[int, list[str]]]:
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hits
    server.shutdown()


def attacks(port: int, assignment: Path, host_file: Path) -> dict[str, str]:
    return {
        "network": f"import urllib.request\nurllib.request.urlopen('http://127.0.0.1:{port}/x', timeout=3)",
        "hidden-checks": f"print(open({str(assignment / 'checks.py')!r}).read())",
        "other-student": f"print(open({str(EXAMPLES / 'bruno.ipynb')!r}).read())",
        "write-outside": (
            f"outcomes = []\nfor target in [{str(host_file)!r}, '/usr/lib/grader-evil']:\n"
            "    try:\n        open(target, 'w').write('pwned')\n"
            "        outcomes.append('WROTE ' + target)\n"
            "    except OSError as error:\n        outcomes.append(f'errno {error.errno}')\n"
            "raise RuntimeError(', '.join(outcomes))"
        ),
        "memory": "x = bytearray(8 * 1024**3)",
        "fork-loop": (  # children reaped at the end, so that the checks can start threads
            "import os, time\nchildren = []\ntry:\n    for _ in range(300):\n"
            "        pid = os.fork()\n        if pid == 0:\n            time.sleep(2)\n"
            "            os._exit(0)\n        children.append(pid)\nfinally:\n"
            "    for pid in children:\n        os.waitpid(pid, 0)"
        ),
        "ignores-interrupt": (
            "while True:\n    try:\n        while True:\n            pass\n"
            "    except KeyboardInterrupt:\n        pass"
        ),
        "output-flood": "print('x' * (40 * 1024 * 1024))",
        "exits": "import os\nos._exit(0)",
        "environment": "import os\nassert not [k for k in os.environ if 'GRADER_TEST_SECRET' in k]",
    }


# What the box itself stops, and so what each kind of kernel (fresh, forked warm) must stop on
# its own; the rest (interrupts, floods, exits, the deadline) is the client's, the same for both,
# and graded once, in warm kernels (a fresh tp-attention kernel costs seconds of imports).
BOX_ATTACKS = (
    "network",
    "hidden-checks",
    "other-student",
    "write-outside",
    "memory",
    "fork-loop",
    "environment",
)

# Past the notebook's 90 s (wall clock; the test lowers it from 120), though each cell stays
# under the cell limit. The deadline leaves room, on a loaded machine, for what a notebook whose
# cell ignores the interrupt costs: 10 s of CPU (40 s of wall clock at most), then the cells
# before it replayed in a new kernel.
PAST_DEADLINE = ["import time\ntime.sleep(8)"] * 12


def hostile(path: Path, *cells: str) -> Submission:
    notebook = nbformat.read(EXAMPLES / "alice.ipynb", as_version=4)
    notebook.cells += [new_code_cell(cell) for cell in cells]
    nbformat.write(notebook, path)
    return Submission(path.stem, path)


@pytest.mark.parametrize("kernels", ["fresh", "warm"])
def test_hostile_notebooks_get_the_right_verdict_and_leave_the_host_alone(
    kernels: str,
    tmp_path: Path,
    assignment_copy: Path,
    loopback_server: tuple[int, list[str]],
    monkeypatch: pytest.MonkeyPatch,
    course_mirror: Path,
) -> None:
    port, hits = loopback_server
    monkeypatch.setenv("GRADER_TEST_SECRET", "s3cr3t")
    spec = assignment_copy / "assignment.yaml"
    spec.write_text(
        spec.read_text()
        .replace("cell_timeout: 15", "cell_timeout: 10")
        .replace("notebook_timeout: 120", "notebook_timeout: 90")
        .replace("processes: 128", "processes: 64\n  message_size: 8 MiB")
    )
    host_file = tmp_path / "host-file.txt"
    cells = attacks(port, assignment_copy, host_file)
    if kernels == "fresh":
        cells = {name: cells[name] for name in BOX_ATTACKS}
    submissions = [hostile(tmp_path / f"{name}.ipynb", cell) for name, cell in cells.items()]
    if kernels == "warm":
        submissions.append(hostile(tmp_path / "past-deadline.ipynb", *PAST_DEADLINE))
    submissions.append(Submission("alice", EXAMPLES / "alice.ipynb"))
    backend = select_backend("bwrap", "grade")
    options = GradeOptions(
        mirror=course_mirror,
        seed=3,
        sandbox=backend,
        protected=(assignment_copy, *(s.path for s in submissions)),
    )
    reports: dict[str, GradeReport] = {}
    options = replace(options, fresh_kernels=kernels == "fresh")
    with warm_kernels(load_assignment(assignment_copy), options) as (options, notice):
        assert (options.warm_parent is not None) == (kernels == "warm"), notice
        result = grade_batch(
            assignment_copy, submissions, options, 2, lambda r: reports.__setitem__(r.student, r)
        )
    assert not result.crashed

    def last_cell(name: str) -> tuple[str, str | None]:
        cell = reports[name].execution.cells[-1]
        return cell.status.value, cell.error

    status = {name: report.execution.status.value for name, report in reports.items()}
    score = {name: report.score for name, report in reports.items()}
    message = {name: report.execution.message or "" for name, report in reports.items()}

    assert hits == []  # the loopback server never heard from a kernel
    assert last_cell("network")[0] == "error"
    assert "FileNotFoundError" in (last_cell("hidden-checks")[1] or "")
    assert "FileNotFoundError" in (last_cell("other-student")[1] or "")
    assert last_cell("write-outside")[1] == "RuntimeError: errno 2, errno 30"  # ENOENT, EROFS
    assert not host_file.exists()
    assert (last_cell("memory")[1] or "").startswith("MemoryError")
    assert "BlockingIOError" in (last_cell("fork-loop")[1] or "")
    assert last_cell("environment")[0] == "ok"
    for name in cells:
        assert score[name] == 20, (name, status[name], message[name])  # the work before is kept
    assert score["alice"] == 20 and status["alice"] == "ok"
    json.dumps(status)  # statuses are plain strings, as in results/<student>.json
    if kernels == "fresh":
        return
    assert status["ignores-interrupt"] == "timeout"
    hostile_cell = len(nbformat.read(EXAMPLES / "alice.ipynb", as_version=4).cells) + 1
    assert message["ignores-interrupt"].startswith(
        f"La cellule {hostile_cell} a dépassé la limite de 10 s de calcul"
    )
    assert status["output-flood"] == "output-limit", reports["output-flood"].execution.detail
    assert status["exits"] == "killed"
    assert status["past-deadline"] == "timeout"
    assert message["past-deadline"].startswith("Le notebook a dépassé sa durée limite de 90 s")
