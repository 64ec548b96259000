"""The grader's own import of an assignment's `preload:` (its checks use the same libraries) runs
while the kernel starts and runs the cells, not after them: a self-check or a validation waits
for one import, not two in a row."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

from grader.assignment.load import load_assignment
from grader.grading import GradeOptions, Submission, grade_submission
from tests.conftest import make_notebook, write_course, write_notebook

CHECKS = """\
import importlib
import os
import time

from grader.checks import check, expect


@check("import.prete")
def library_ready(nb, rng):
    started = time.time()
    library = importlib.import_module(os.environ["GRADER_TEST_PRELOAD"])
    with open(os.environ["GRADER_TEST_PRELOAD_LOG"], "a") as log:
        log.write(f"{library.STARTED} {library.ENDED} {started}\\n")
    expect.equal(nb.get("fini"), True, "cellules")
"""

# Slow to import, as torch and transformers are: it says when its import began and ended.
LIBRARY = """\
import time

STARTED = time.time()
time.sleep(1.5)
ENDED = time.time()
"""


@pytest.mark.kernel
def test_the_checks_libraries_are_imported_while_the_cells_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"lente_{uuid.uuid4().hex[:8]}"
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / f"{name}.py").write_text(LIBRARY)
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    monkeypatch.setenv("GRADER_TEST_PRELOAD", name)
    log = tmp_path / "log"
    monkeypatch.setenv("GRADER_TEST_PRELOAD_LOG", str(log))
    spec = f"title: TP lent\npreload: [{name}]\n"
    criteria = "  - {id: pret, title: Prêt, points: 1, checks: [import.prete]}\n"
    folder = write_course(tmp_path, "tp-lent", spec, CHECKS, make_notebook(), criteria)
    notebook = write_notebook(tmp_path / "ada.ipynb", "import time\ntime.sleep(2.5)\nfini = True")
    try:
        report = grade_submission(
            load_assignment(folder), Submission("ada", notebook), GradeOptions(seed=1)
        )
    finally:
        sys.modules.pop(name, None)

    assert report.score == 1.0, report
    started, ended, checked = map(float, log.read_text().split())
    # Imported from the kernel's start on, done before the checks: not in the first check.
    assert ended <= checked
    assert checked - started >= 2.5  # the cell's sleep, which the import overlapped
