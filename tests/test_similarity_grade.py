"""`grader grade --similarity`: a small course graded by the real command line in real kernels,
then its code compared; the summary links to similarity.html. No torch: a few seconds a kernel.
"""

from __future__ import annotations

import csv
from pathlib import Path

import nbformat
import pytest

from tests.conftest import grader_command, in_bwrap_boxes, make_notebook, write_course
from tests.similarity_class import renamed

pytestmark = pytest.mark.slow

CHECKS = """
import numpy as np
from grader.checks import check, expect

@check("stats.centrer")
def centrer(nb, rng):
    got = np.asarray(nb.call("centrer", [1.0, 2.0, 6.0]), dtype=float)
    expect.close(got, np.array([-2.0, -1.0, 3.0]), what="centrer")

@check("stats.glissante")
def glissante(nb, rng):
    got = np.asarray(nb.call("moyenne_glissante", [1.0, 2.0, 3.0, 4.0], 2), dtype=float)
    expect.close(got, np.array([1.5, 2.5, 3.5]), what="moyenne_glissante")
"""
HEADER = "import numpy as np\n\ndonnees = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]"
SOLUTION = (
    HEADER,
    "def centrer(xs):\n    ### BEGIN SOLUTION\n    xs = np.asarray(xs, dtype=float)\n"
    "    return xs - xs.mean()\n    ### END SOLUTION",
    "def moyenne_glissante(xs, n):\n    ### BEGIN SOLUTION\n"
    "    return np.convolve(xs, np.ones(n) / n, mode='valid')\n    ### END SOLUTION",
    "print(centrer(donnees), moyenne_glissante(donnees, 3))",
)
# Two students who wrote their own, each with an analysis of their own; a copy of the first.
OWN = {
    "lina": (
        "def centrer(xs):\n    total = 0.0\n    for x in xs:\n        total += x\n"
        "    m = total / len(xs)\n    return [x - m for x in xs]",
        "def moyenne_glissante(xs, n):\n    out = []\n    for i in range(len(xs) - n + 1):\n"
        "        fenetre = xs[i:i + n]\n        out.append(sum(fenetre) / n)\n    return out",
        "ecarts = sorted(abs(v) for v in centrer(donnees))\nrang = {v: i for i, v in "
        "enumerate(ecarts)}\nfor cle, valeur in rang.items():\n    print(f'{cle:.2f} -> "
        "{valeur}')\nmedian = ecarts[len(ecarts) // 2]\nprint('écart médian', median)",
    ),
    "marius": (
        "def centrer(xs):\n    arr = np.array(xs, dtype=np.float64)\n    moy = np.mean(arr)\n"
        "    resultat = arr - moy\n    return resultat.tolist()",
        "def moyenne_glissante(xs, n):\n    c = np.cumsum(np.insert(np.asarray(xs, float), 0, 0.0))\n"
        "    return ((c[n:] - c[:-n]) / n).tolist()",
        "import statistics\nquartiles = statistics.quantiles(donnees, n=4)\n"
        "etendue = max(donnees) - min(donnees)\nprint(quartiles, etendue, "
        "statistics.pstdev(donnees))\nhisto = np.histogram(donnees, bins=3)[0]\nprint(histo)",
    ),
}


def _student(cells: tuple[str, ...]) -> nbformat.NotebookNode:
    return make_notebook(HEADER, *cells, SOLUTION[-1], assignment="tp-stats")


@in_bwrap_boxes
def test_grade_with_similarity_writes_the_page_and_links_it(tmp_path: Path) -> None:
    source = make_notebook(*SOLUTION, assignment="tp-stats")
    spec = 'title: "TP stats"\nlimits:\n  cell_timeout: 60\n  notebook_timeout: 180\n'
    criteria = '  - {id: stats, title: "Stats", points: 2, checks: ["stats.*"]}\n'
    assignment = write_course(tmp_path / "course", "tp-stats", spec, CHECKS, source, criteria)
    folder = tmp_path / "class"
    folder.mkdir()
    students = {name: _student(cells) for name, cells in OWN.items()}
    names: dict[str, str] = {}
    lina, graded = OWN["lina"], frozenset({"centrer", "moyenne_glissante", "donnees", "np"})
    copy = tuple(renamed(cell, names, graded) for cell in (lina[1], lina[0], lina[2]))
    students["noe"] = _student(copy)
    for name, notebook in students.items():
        nbformat.write(notebook, folder / f"{name}.ipynb")
    out = tmp_path / "out"
    run = grader_command(
        "grade", str(assignment), *(str(folder / f"{n}.ipynb") for n in students),
        "--out", str(out), "--similarity", "-j", "2",
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr  # every student passes
    with open(out / "similarity.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {rows[0]["student_1"], rows[0]["student_2"]} == {"lina", "noe"}
    assert float(rows[0]["score"]) > 0.9
    others = [r for r in rows if {r["student_1"], r["student_2"]} != {"lina", "noe"}]
    assert all(float(r["score"]) < 0.3 for r in others)
    assert 'href="similarity.html"' in (out / "summary.html").read_text("utf-8")
