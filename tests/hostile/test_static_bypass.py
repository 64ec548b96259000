"""A helper that calls the library, called from the student's function, through `grader grade`
(issue 16, point 6): the attacker loses the implementation point, and so does a notebook that
runs code known only at run time; a normal student beside keeps 20/20, the class files are
written."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

from tests.conftest import (
    EXAMPLES,
    TP_ATTENTION,
    checks_of,
    gradebook_rows,
    grader_command,
    in_bwrap_boxes,
)

HELPER = """
import torch.nn.functional as F


def _produit(Q, K, V, mask=None):
    q, k, v = (torch.as_tensor(x) for x in (Q, K, V))
    m = None if mask is None else torch.as_tensor(mask, dtype=torch.bool)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=m)

"""


def helper_calls_library(target: Path) -> Path:
    """Alice's notebook whose NumPy attention takes its output from a helper that calls F.sdpa."""
    notebook = nbformat.read(EXAMPLES / "alice.ipynb", as_version=4)
    cell = next(c for c in notebook.cells if "def scaled_dot_product_attention" in c.source)
    numpy_return = "    return weights @ V, weights"
    assert cell.source.endswith(numpy_return)
    body = cell.source.removesuffix(numpy_return)
    cell.source = HELPER + body + "    return _produit(Q, K, V, mask).numpy(), weights"
    nbformat.write(notebook, target)
    return target


def runs_hidden_code(target: Path) -> Path:
    """Alice's notebook plus a cell that runs code decoded at run time (here harmless)."""
    notebook = nbformat.read(EXAMPLES / "alice.ipynb", as_version=4)
    notebook.cells.append(new_code_cell("import base64\nexec(base64.b64decode('eCA9IDE='))"))
    nbformat.write(notebook, target)
    return target


@in_bwrap_boxes
def test_a_helper_that_calls_the_library_loses_the_implementation_point(tmp_path: Path) -> None:
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    (submissions / "alice.ipynb").write_bytes((EXAMPLES / "alice.ipynb").read_bytes())
    helper_calls_library(submissions / "mallory.ipynb")
    runs_hidden_code(submissions / "oscar.ipynb")
    out = tmp_path / "out"
    completed = grader_command(
        "grade",
        str(TP_ATTENTION),
        *map(str, sorted(submissions.iterdir())),
        "--out",
        str(out),
        "-j",
        "2",
    )
    assert completed.returncode <= 1, completed.stderr
    scores = {row["student"]: float(row["score"]) for row in gradebook_rows(out)}
    # Alice's MultiHeadAttention calls her scaled_dot_product_attention: it reaches F.sdpa too.
    # Code known only at run time may replace any function: both static checks count a use.
    assert scores == {"alice": 20.0, "mallory": 18.0, "oscar": 18.0}
    failed = {
        i: c["message"] for i, c in checks_of(out, "mallory").items() if c["outcome"] != "passed"
    }
    assert failed == {
        "sdpa.implementation": "`scaled_dot_product_attention` appelle `_produit`, qui appelle "
        "`F.scaled_dot_product_attention` au lieu de l'implémenter",
        "mha.couches": "`MultiHeadAttention` appelle `scaled_dot_product_attention`, qui appelle "
        "`_produit`, qui appelle `F.scaled_dot_product_attention` au lieu de l'implémenter",
    }
    doubt = (
        "le notebook exécute du code connu seulement à l'exécution "
        "(`exec(base64.b64decode('eCA9IDE='))`) : compté comme un appel à {}, que l'analyse "
        "ne peut pas exclure"
    )
    failed = {
        i: c["message"] for i, c in checks_of(out, "oscar").items() if c["outcome"] != "passed"
    }
    assert failed == {
        "sdpa.implementation": doubt.format("`scaled_dot_product_attention`, `MultiheadAttention`"),
        "mha.couches": doubt.format(
            "`scaled_dot_product_attention`, `MultiheadAttention`, `multi_head_attention_forward`"
        ),
    }
    for name in ("summary.html", "moodle.csv", "reports/mallory.html", "reports/alice.html"):
        assert (out / name).is_file(), name
