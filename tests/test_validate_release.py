"""`grader validate` and `grader release` on the bundled assignment and broken copies of it."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from grader.assignment.load import load_assignment
from grader.assignment.public_checks import public_checks_source
from grader.assignment.release import strip_solutions
from grader.cli import main
from grader.errors import ConfigError
from tests.conftest import EXAMPLES, TP_ATTENTION


def test_strip_solutions_keeps_the_indentation() -> None:
    source = "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n\nf(1)"
    assert strip_solutions(source, "nb") == (
        "def f(x):\n    # VOTRE CODE ICI\n    raise NotImplementedError()\n\nf(1)"
    )


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("### BEGIN SOLUTION\nx = 1", "is never closed"),
        ("x = 1\n### END SOLUTION", "without '### BEGIN SOLUTION'"),
    ],
)
def test_unbalanced_markers_are_config_errors(source: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        strip_solutions(source, "tp.ipynb, cell 3")


def test_public_checks_drop_hidden_ones() -> None:
    checks = load_assignment(TP_ATTENTION).checks
    public = public_checks_source(TP_ATTENTION / "checks.py", checks)
    assert '@check("sdpa.exemple", uses=USES_SOFTMAX)' in public
    assert "USES_SOFTMAX = " in public and "softmax_stand_in" in public  # what it needs ships
    assert "hidden=True" not in public and "def sdpa_torch" not in public


@pytest.mark.kernel
def test_released_bundle_is_self_checkable(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["release", str(TP_ATTENTION), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    bundle = tmp_path / "tp-attention"
    template = nbformat.read(bundle / "tp-attention.ipynb", as_version=4)
    code = "\n".join(c.source for c in template.cells if c.cell_type == "code")
    assert "BEGIN SOLUTION" not in code and "np.tril" not in code
    assert template.metadata["grader"] == {"assignment": "tp-attention"}
    released = load_assignment(bundle)
    assert not any(check.hidden for check in released.checks)
    # A student runs the self-check from the bundle: the assignment is found beside the notebook.
    mine = bundle / "tp-attention.ipynb"
    mine.write_bytes((EXAMPLES / "alice.ipynb").read_bytes())
    check = CliRunner().invoke(main, ["check", str(mine)])
    assert check.exit_code == 0, check.output


@pytest.mark.kernel
@pytest.mark.slow
def test_validate_counts_full_marks_on_automatic_points_and_names_manual_ones(
    assignment_copy: Path,
) -> None:
    rubric = assignment_copy.parent.parent / "rubrics" / "tp-attention.yaml"
    rubric.write_text(
        rubric.read_text()
        + '  - id: commentaire\n    title: "Commentaire des têtes"\n    points: 3\n'
        "    manual: true\n"
    )
    result = CliRunner().invoke(main, ["validate", str(assignment_copy)])
    assert result.exit_code == 0, result.output
    assert (
        "valid: the solution scores full marks, 20 / 20 automatic points (and manual criteria, "
        "yours to mark: commentaire (3)); the template passes no check"
    ) in result.output


@pytest.mark.kernel
@pytest.mark.slow
def test_validate_fails_on_a_raising_solution_cell_and_a_raising_check(
    assignment_copy: Path,
) -> None:
    source = assignment_copy / "tp-attention.ipynb"
    notebook = nbformat.read(source, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("import pandas_que_personne_n_a"))
    nbformat.write(notebook, source)
    checks = assignment_copy / "checks.py"
    broken = checks.read_text().replace(
        "    x = np.array([1000.0, 1000.0, 999.0])\n",
        "    x = np.array([1000.0, 1000.0, 999.0])\n    x = x[None] @ {}\n",
    )
    assert broken != checks.read_text()
    checks.write_text(broken)
    result = CliRunner().invoke(main, ["validate", str(assignment_copy), "--format", "json"])
    assert result.exit_code == 4, result.output
    payload = json.loads(result.output.splitlines()[-1])
    assert payload["ok"] is False and payload["check_errors"] == ["softmax.stable"]
    problems = "\n".join(payload["problems"])
    cell = len(notebook.cells)
    assert (
        f"solution: cell {cell} error: ModuleNotFoundError: No module named "
        "'pandas_que_personne_n_a'"
    ) in problems
    assert "solution: softmax.stable check-error: le code de vérification" in problems
    assert (
        "ValueError: matmul" in problems and "checks.py" in problems
    )  # the traceback, for the author


@pytest.mark.kernel
@pytest.mark.slow
def test_validate_fails_on_a_wrong_reference_and_an_unservable_preload(
    assignment_copy: Path,
) -> None:
    spec = assignment_copy / "assignment.yaml"
    spec.write_text(spec.read_text().replace("  - matplotlib.pyplot\n", "  - matplotlib.pyplott\n"))
    checks = assignment_copy / "checks.py"
    wrong = checks.read_text().replace(
        'expect.close(nb.get("S"), Q @ K.T / np.sqrt(2)', 'expect.close(nb.get("S"), Q @ K.T'
    )
    assert wrong != checks.read_text()
    checks.write_text(wrong)
    result = CliRunner().invoke(main, ["validate", str(assignment_copy)])
    assert result.exit_code == 1
    assert "solution: calcul.scores failed" in result.output
    assert (
        "assignment.yaml: preload: warm start: off (preload: import matplotlib.pyplott failed: "
        "ModuleNotFoundError: No module named 'matplotlib.pyplott'); every kernel starts fresh"
    ) in result.output
