"""Only what runs at grading counts: a Colab-style notebook (stale outputs, `!pip`, `%%bash`,
`google.colab` under `try`) graded through `grader grade` as its content deserves."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_output

from grader.sandbox.shell import SKIPPED_MESSAGE, runs_shell
from tests.conftest import (
    equal_checks,
    grade_notebooks,
    in_bwrap_boxes,
    make_notebook,
    write_course,
)

CHECKS = equal_checks(
    "colab.valeurs", {"resultat": 42, "apres_pip": True, "sur_colab": False, "fichiers": []}
)
CRITERIA = "  - {id: colab, title: Colab, points: 2, checks: [colab.valeurs]}\n"
STALE_ERROR = new_output(
    "error", ename="NameError", evalue="name 'x' is not defined", traceback=["NameError"]
)


def colab_notebook() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell("# TP sur Colab"),
        new_code_cell("!pip install -q transformers\n%pip install datasets\napres_pip = True"),
        new_code_cell("%%bash\nwget https://example.org/data.csv"),
        new_code_cell(
            "try:\n    from google.colab import drive\n    drive.mount('/content/drive')\n"
            "    sur_colab = True\nexcept ImportError:\n    sur_colab = False"
        ),
        new_code_cell("", outputs=[STALE_ERROR], execution_count=3),  # emptied since
        new_code_cell(
            "fichiers = !ls /content\nresultat = 6 * 7",
            outputs=[new_output("stream", name="stdout", text="ancienne sortie\n")],
            execution_count=4,
        ),
    ]
    notebook = make_notebook()
    notebook.cells = cells
    return notebook


@pytest.mark.parametrize(
    ("source", "shell"),
    [
        ("!pip install x", True),
        ("if True:\n    x = !ls", True),
        ("%%capture\n%pip install y", True),
        ("%%bash\necho", True),
        ("%sx ls", True),
        ("import os\nos.system('ls')", False),  # Python: it runs, in the box
        ("s = '''\n!pas du shell\n'''", False),
        ("%matplotlib inline\n%%time", False),
        ("def f(:", False),
    ],
)
def test_shell_commands_are_found_in_a_cells_source(source: str, shell: bool) -> None:
    assert runs_shell(source) is shell


@pytest.mark.slow
@in_bwrap_boxes
def test_a_colab_notebook_is_graded_as_its_content_deserves(tmp_path: Path) -> None:
    folder = write_course(
        tmp_path, "tp-colab", "title: TP Colab\n", CHECKS, make_notebook(), CRITERIA
    )
    notebook = tmp_path / "class" / "zoe.ipynb"
    notebook.parent.mkdir()
    nbformat.write(colab_notebook(), notebook)
    out = tmp_path / "out"

    [row] = grade_notebooks(folder, [notebook], out).rows

    assert (row["score"], row["status"]) == ("2.0", "ok")
    result = json.loads((out / "results" / "zoe.json").read_text())
    assert result["execution"]["message"] == SKIPPED_MESSAGE.text("fr")
    assert [cell["status"] for cell in result["execution"]["cells"]] == ["ok"] * 5
    report = (out / "reports" / "zoe.html").read_text()
    assert SKIPPED_MESSAGE.text("fr") in report
    assert "NameError" not in report and "out of pty" not in report
