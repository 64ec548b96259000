"""Builders shared by the tests: notebooks from cell sources, the bundled assignment."""

from __future__ import annotations

import asyncio
import csv
import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import grader
from grader.checks.probe import Notebook
from grader.mirror import GPT2, MINILM, build_mirror
from grader.sandbox.boxes import UnsandboxedBox
from grader.sandbox.cgroups import CgroupLayout
from grader.sandbox.execute import execute_notebook
from grader.sandbox.limits import Limits
from grader.sandbox.selection import bwrap_problem, cgroup_layout, select_backend

if TYPE_CHECKING:
    from tests.example_class import GradedClass

ROOT = Path(__file__).resolve().parent.parent
TP_ATTENTION = ROOT / "assignments" / "tp-attention"
EXAMPLES = ROOT / "examples" / "submissions" / "tp-attention"

# Real kernels in bwrap boxes (forked from a warm parent or not): a module's `pytestmark`, or one
# test's marks through `in_bwrap_boxes`. Skipped, with the reason, where bubblewrap cannot run.
IN_BWRAP_BOXES = (
    pytest.mark.kernel,
    pytest.mark.sandbox,
    pytest.mark.skipif(bwrap_problem() is not None, reason=f"bwrap box: {bwrap_problem()}"),
)
Test = TypeVar("Test", bound=Callable[..., Any])


def in_bwrap_boxes(test: Test) -> Test:
    for mark in IN_BWRAP_BOXES:
        test = mark(test)
    return test


def grade_in_bwrap(assignment_root: Path, notebook: Path) -> grader.GradeReport:
    """`notebook` graded as the student of its name in a bwrap box, the assignment protected."""
    assignment = grader.load_assignment(assignment_root)
    options = grader.GradeOptions(
        seed=7, sandbox=select_backend("bwrap"), protected=(assignment.root,)
    )
    return grader.grade_submission(assignment, grader.Submission(notebook.stem, notebook), options)


def grader_command(*arguments: str) -> subprocess.CompletedProcess[str]:
    """The `grader` command line in a subprocess, from the repository's root."""
    return subprocess.run(
        [sys.executable, "-m", "grader", *arguments],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )


def gradebook_rows(out: Path) -> list[dict[str, str]]:
    """The rows of a graded class's gradebook.csv."""
    with open(out / "gradebook.csv", newline="") as handle:
        return list(csv.DictReader(handle))


@dataclass(frozen=True)
class Graded:
    """A class graded by `grader grade`: what the command printed, its gradebook's rows."""

    done: subprocess.CompletedProcess[str]
    rows: list[dict[str, str]]


def grade_notebooks(
    folder: Path, notebooks: Sequence[Path], out: Path, *options: str, status: int = 0
) -> Graded:
    """`grader grade` of `notebooks` into `out` in a subprocess, which must exit with `status`
    (else the assertion shows all it printed)."""
    done = grader_command("grade", str(folder), *map(str, notebooks), "--out", str(out), *options)
    assert done.returncode == status, done.stdout + done.stderr
    return Graded(done, gradebook_rows(out))


def equal_checks(check_id: str, expected: dict[str, object]) -> str:
    """A checks.py of one check, `check_id`: each variable of `expected` holds its value."""
    lines = [
        f"    expect.equal(nb.get({name!r}), {value!r}, {name!r})\n"
        for name, value in expected.items()
    ]
    return (
        f"from grader.checks import check, expect\n\n\n@check({check_id!r})\n"
        f"def values(nb, rng):\n{''.join(lines)}"
    )


def checks_of(out: Path, student: str) -> dict[str, dict[str, Any]]:
    """A graded student's checks, by id, from results/<student>.json."""
    result = json.loads((out / "results" / f"{student}.json").read_text())
    return {c["id"]: c for criterion in result["criteria"] for c in criterion["checks"]}


def make_notebook(*cells: str, assignment: str | None = None) -> nbformat.NotebookNode:
    notebook = new_notebook(cells=[new_code_cell(source) for source in cells])
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    if assignment:
        notebook.metadata["grader"] = {"assignment": assignment}
    return notebook


def write_notebook(path: Path, *cells: str, assignment: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(make_notebook(*cells, assignment=assignment), path)
    return path


def write_course(
    root: Path,
    assignment_id: str,
    spec: str,
    checks: str,
    template: nbformat.NotebookNode,
    criteria: str,
) -> Path:
    """A small course below `root`: assignments/<id>/ (assignment.yaml: the id, notebook and
    rubric lines, then `spec`; checks.py; the template notebook) and rubrics/<id>.yaml (its
    `criteria:` list); the assignment's folder."""
    folder = root / "assignments" / assignment_id
    folder.mkdir(parents=True)
    (folder / "assignment.yaml").write_text(
        f"id: {assignment_id}\nnotebook: {assignment_id}.ipynb\n"
        f"rubric: ../../rubrics/{assignment_id}.yaml\n{spec}"
    )
    (folder / "checks.py").write_text(checks)
    nbformat.write(template, folder / f"{assignment_id}.ipynb")
    (root / "rubrics").mkdir(exist_ok=True)
    (root / "rubrics" / f"{assignment_id}.yaml").write_text(
        f"assignment: {assignment_id}\ncriteria:\n{criteria}"
    )
    return folder


@pytest.fixture(scope="session")
def course_mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The offline model cache of the course's assignments, built once per test session."""
    return build_mirror([GPT2, MINILM], tmp_path_factory.getbasetemp() / "mirror").root


@pytest.fixture(scope="module")
def example_class(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> GradedClass:
    """The example class of the module's `EXAMPLE_CLASS`, graded once (tests/example_class.py)."""
    from tests.example_class import ExampleClass, grade_example_class

    example = ExampleClass.load(request.module.EXAMPLE_CLASS)
    mirror = request.getfixturevalue("course_mirror") if example.needs_mirror else None
    return grade_example_class(example, tmp_path_factory.mktemp(example.name), mirror)


@pytest.fixture
def assignment_copy(tmp_path: Path) -> Path:
    """A private copy of tp-attention and its rubric, laid out as in the repository."""
    target = tmp_path / "course"
    shutil.copytree(TP_ATTENTION, target / "assignments" / "tp-attention")
    (target / "rubrics").mkdir()
    shutil.copyfile(
        ROOT / "rubrics" / "tp-attention.yaml", target / "rubrics" / "tp-attention.yaml"
    )
    return target / "assignments" / "tp-attention"


@contextmanager
def local_endpoint(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """`handler` served on a free loopback port, in a thread, until the block ends: the base
    URL (`…/v1`) of the OpenAI-compatible endpoint it plays."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextmanager
def probed_notebook(
    scratch: Path, cells: list[str], limits: Limits, probe_timeout_s: float
) -> Iterator[Notebook]:
    """The probe handle on a real kernel that ran `cells` (unsandboxed: fast, for probe tests)."""
    loop = asyncio.new_event_loop()
    notebook = make_notebook(*cells)
    executed = loop.run_until_complete(
        execute_notebook(notebook, lambda: UnsandboxedBox(scratch, limits), limits)
    )
    try:
        yield Notebook(executed, "", probe_timeout_s=probe_timeout_s, loop=loop)
    finally:
        if executed.client is not None:
            executed.client.kc.stop_channels()
        loop.run_until_complete(executed.box.close())
        loop.close()


def module_notebook(cells: list[str], limits: Limits, probe_timeout_s: float) -> Any:
    """A module-scoped fixture, named by the module variable it is assigned to: the probe handle
    on one real kernel that ran `cells`, shared by the module's tests."""

    @pytest.fixture(scope="module")
    def notebook(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Notebook]:
        scratch = tmp_path_factory.mktemp("scratch")
        with probed_notebook(scratch, cells, limits, probe_timeout_s) as handle:
            yield handle

    return notebook


@pytest.fixture
def layout() -> CgroupLayout:
    """Where a test's kernels get their cgroups; the test is skipped on a machine without."""
    found = cgroup_layout()
    if not isinstance(found, CgroupLayout):
        pytest.skip(f"no cgroup here: {found}")
    return found
