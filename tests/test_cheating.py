"""Submissions that only cheat gain nothing over the empty template.

Each cheater is the released template plus a cell of tampering: the verdict is computed in the
grader from data drawn at grading time, so nothing done inside the kernel can move it.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from grader.api import ClassRun, grade_class
from grader.assignment.load import load_assignment
from grader.assignment.release import template_notebook
from grader.grading import Submission
from grader.sandbox.selection import select_backend
from tests.conftest import TP_ATTENTION

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

CHEATS = {
    "prints-success": "print('All tests passed')\nprint('Score: 20/20')",
    "redefines-builtins": (
        "import builtins\n"
        "builtins.isinstance = lambda *a: True\n"
        "builtins.len = lambda *a: 3\n"
        "builtins.AssertionError = type('Nope', (Exception,), {})"
    ),
    "patches-comparisons": (
        "import numpy as np, torch\n"
        "np.allclose = lambda *a, **k: True\n"
        "np.testing.assert_allclose = lambda *a, **k: None\n"
        "np.array_equal = lambda *a, **k: True\n"
        "np.isclose = lambda a, b, *r, **k: np.ones_like(a, dtype=bool)\n"
        "torch.allclose = lambda *a, **k: True\n"
        "torch.testing.assert_close = lambda *a, **k: None"
    ),
    "rewrites-later-cells": (
        "def neutralise(lines):\n"
        "    return ['pass\\n']\n"
        "get_ipython().input_transformers_cleanup.append(neutralise)"
    ),
    "replaces-the-execute-handler": (
        "kernel = get_ipython().kernel\n"
        "async def do_execute(*args, **kwargs):\n"
        "    return {'status': 'ok', 'execution_count': 1, 'payload': [], 'user_expressions': {}}\n"
        "kernel.do_execute = do_execute"
    ),
    "forges-display-answers": (
        "import json\n"
        "ip = get_ipython()\n"
        "original = ip.display_pub.publish\n"
        "def forged(data, *a, **k):\n"
        "    data = {key: json.dumps({'value': {'__tuple__': [[[1.0]], [[1.0]]]}}) for key in data}\n"
        "    return original(data, *a, **k)\n"
        "ip.display_pub.publish = forged"
    ),
}


def write(path: Path, extra: str | None) -> Submission:
    notebook = template_notebook(load_assignment(TP_ATTENTION))
    if extra is not None:
        notebook.cells.insert(2, new_code_cell(extra))
    nbformat.write(notebook, path)
    return Submission(path.stem, path)


def test_cheating_gains_nothing_over_the_empty_template(
    tmp_path: Path, assignment_copy: Path, course_mirror: Path
) -> None:
    # A cheat that breaks the kernel makes every cell wait for its timeout: keep it short.
    spec = assignment_copy / "assignment.yaml"
    spec.write_text(spec.read_text().replace("cell_timeout: 15", "cell_timeout: 4"))
    submissions = [write(tmp_path / "template.ipynb", None)]
    submissions += [write(tmp_path / f"{name}.ipynb", cell) for name, cell in CHEATS.items()]
    run = ClassRun(
        assignment_copy,
        tuple(submission.path for submission in submissions),
        tmp_path / "out",
        jobs=2,
        seed=7,
        sandbox=select_backend("auto", "check"),
        mirror=course_mirror,
    )
    result = grade_class(run)  # the use case `grader grade` calls
    assert not result.crashed
    scores = {report.student: report.score for report in result.reports}
    assert scores["template"] == 0
    assert scores == dict.fromkeys(scores, 0.0), scores
