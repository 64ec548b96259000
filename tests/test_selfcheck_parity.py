"""One verdict, three roads: for every example submission of tp-perplexite, `verifier()` in the
notebook, `grader check` and the public part of `grader grade` give each public check the same
outcome and the same message, and the notebook and `grader check` the same indicative total.

`grader check` is grading with the public checks only; it is run here on tp-perplexite (six
examples, numpy only, the cheapest to execute). Every other assignment's test module compares
the notebook's road with its graded examples (tests/selfcheck_parity.py).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from grader.api import check_notebook
from grader.assignment.load import Assignment, load_assignment
from grader.assignment.release import release
from grader.report.check_lines import check_line
from grader.sandbox.selection import select_backend
from grader.scoring.indicative import indicative
from tests.conftest import ROOT, grader_command
from tests.selfcheck_parity import graded_public_lines
from tests.test_selfcheck import colab_stub, printed, run_in_plain_kernel

ASSIGNMENT = ROOT / "assignments" / "tp-perplexite"
EXAMPLES = sorted((ROOT / "examples" / "submissions" / "tp-perplexite").glob("*.ipynb"))
pytestmark = [pytest.mark.kernel, pytest.mark.slow]
__all__ = ["colab_stub"]  # the fixture, shared


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Assignment:
    return load_assignment(release(load_assignment(ASSIGNMENT), tmp_path_factory.mktemp("rel")))


@pytest.fixture(scope="module")
def in_notebook(
    bundle: Assignment, colab_stub: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[str]]:
    """Student -> what `verifier()` printed at the end of their notebook."""
    released = nbformat.read(bundle.source_notebook, as_version=4)
    printed_by = {}
    for example in EXAMPLES:
        notebook = nbformat.read(example, as_version=4)
        notebook.cells = [released.cells[0], *notebook.cells, new_code_cell("verifier()")]
        run_in_plain_kernel(notebook, tmp_path_factory.mktemp(example.stem), colab_stub)
        printed_by[example.stem] = printed(notebook.cells[-1])
    return printed_by


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Student -> the public checks' lines of `grader grade`."""
    out = tmp_path_factory.mktemp("graded")
    completed = grader_command("grade", str(ASSIGNMENT), *map(str, EXAMPLES), "--out", str(out))
    assert completed.returncode in (0, 1), completed.stdout + completed.stderr
    return {example.stem: graded_public_lines(out, example.stem) for example in EXAMPLES}


def test_the_notebook_grader_check_and_grading_agree(
    bundle: Assignment, in_notebook: dict[str, list[str]], graded: dict[str, list[str]]
) -> None:
    backend = select_backend("auto", "check")
    assert len(EXAMPLES) == 6
    for example in EXAMPLES:
        checked = check_notebook(bundle, example, backend)
        public = [check_line(r) for r in checked.checks if not r.hidden]
        shown = in_notebook[example.stem]
        assert shown[0] == f"{bundle.spec.title} — vérifications publiques"
        assert [line for line in shown[1:-1] if "vérification cachée" not in line] == public
        assert public == graded[example.stem], example.stem
        assert shown[-1] == indicative(bundle, checked.checks).line(), example.stem
    assert any("✗" in line for lines in graded.values() for line in lines)  # not all passing
