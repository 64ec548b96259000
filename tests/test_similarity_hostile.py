"""grader similarity on hostile notebooks: huge cells, binary noise, thousands of cells, broken
JSON, markup and formulas in code and names. Each is bounded and reported, never a crash, and
the page and the CSV stay well-formed and escaped."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

import nbformat
import pytest

from grader.assignment.load import load_assignment
from grader.similarity.compare import Comparison, Pair
from grader.similarity.documents import (
    MAX_CELL_CHARS,
    MAX_CELLS,
    MAX_CODE_CHARS,
    MAX_TOKENS,
    Note,
)
from grader.similarity.render import similarity_csv
from grader.similarity.run import SimilarityResult, similarity_report
from grader.similarity.tokens import cell_tokens
from tests.conftest import TP_ATTENTION
from tests.similarity_class import class_notebook, graded_folder, student_cells


def _notebook_json(cells: list[object]) -> bytes:
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


def _code(source: object) -> dict[str, object]:
    return {"cell_type": "code", "source": source, "metadata": {}, "outputs": []}


NOISE = "".join(chr(random.Random(3).randrange(0, 0x3000)) for _ in range(20_000))
SHARED_END = "".join(f"fin = fin.q{i}(fin)\n" for i in range(40))  # the last lines of a long cell
HOSTILE = {
    "enorme": _notebook_json([_code("x = 1\n" * 2_000_000)]),
    "bruit": _notebook_json([_code(NOISE), _code("\x00\ud800'''\n\tdef (:\n  \x1b[31m")]),
    "milliers": _notebook_json([_code(f"v{i} = f(v{i - 1}, {i})") for i in range(5000)]),
    "volumineux": _notebook_json([_code("y = x.m(x)\n" * 4500)] * 20),  # 900 000 characters
    "profond": b"[" * 500_000 + b"]" * 500_000,
    "pas-json": b"\xff\xfe not a notebook",
    "types": _notebook_json([_code(12), _code({"a": 1}), _code(["a = 1\n", 5]), "cell", None]),
    "long-a": _notebook_json([_code("".join(f"a = a.u{i}()\n" for i in range(1900)) + SHARED_END)]),
    "long-b": _notebook_json([_code("".join(f"b = b.v{i}()\n" for i in range(1900)) + SHARED_END)]),
    "balises": _notebook_json(
        [
            _code(
                "s = '</pre><script>alert(1)</script>'\n"
                + "".join(f"t = s.m{i}(s)\n" for i in range(40))
            )
        ]
    ),
}


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SimilarityResult]:
    folder = tmp_path_factory.mktemp("hostile")
    paths = {}
    for name, content in HOSTILE.items():
        paths[name] = folder / f"{name}.ipynb"
        paths[name].write_bytes(content)
    for number in range(3):  # ordinary students beside them
        paths[f"eleve{number}"] = folder / f"eleve{number}.ipynb"
        nbformat.write(class_notebook(student_cells(number)), paths[f"eleve{number}"])
    paths["balises-bis"] = folder / "balises-bis.ipynb"
    paths["balises-bis"].write_bytes(HOSTILE["balises"])
    paths["parti"] = folder / "parti.ipynb"  # graded, then deleted
    out = graded_folder(folder / "out", paths)
    return out, similarity_report(out, load_assignment(TP_ATTENTION))


def test_hostile_notebooks_are_bounded_and_said_so(
    hostile_class: tuple[Path, SimilarityResult],
) -> None:
    out, result = hostile_class
    notes: dict[str, list[Note]] = {}
    for student, note in result.notes:
        notes.setdefault(student, []).append(note)
    assert Note("cell-cut", (("number", 1), ("count", MAX_CELL_CHARS))) in notes["enorme"]
    assert Note("cells-cut", (("count", MAX_CELLS),)) in notes["milliers"]
    assert (
        Note("cell-cut", (("number", 11), ("count", MAX_CODE_CHARS - 10 * 49_500)))
        in notes["volumineux"]
    )  # ten cells of 49 500 characters, then what is left of the notebook's budget
    assert notes["profond"] == notes["pas-json"] == [Note("unreadable")]
    assert [note.key for note in notes["parti"]] == ["unread"]
    page = (out / "similarity.html").read_text("utf-8")
    assert f"cellule 1 coupée à {MAX_CELL_CHARS} caractères" in page
    compared = result.comparison.compared
    assert compared == len(HOSTILE) + 3 + 1 - 2  # the two unreadable ones have no code


def test_page_and_csv_escape_what_the_notebooks_hold(
    hostile_class: tuple[Path, SimilarityResult],
) -> None:
    out, result = hostile_class
    page = (out / "similarity.html").read_text("utf-8")
    assert "<script>" not in page and "&lt;/pre&gt;&lt;script&gt;" in page
    assert "\x00" not in page and "\x1b" not in page
    page.encode("utf-8")  # no lone surrogate
    pairs = result.comparison.pairs
    assert (pairs[0].first, pairs[0].second) == ("balises", "balises-bis")
    rows = list(csv.DictReader(io.StringIO((out / "similarity.csv").read_text("utf-8"))))
    assert (rows[0]["student_1"], rows[0]["student_2"], rows[0]["score"]) == (
        "balises",
        "balises-bis",
        "1.000",
    )


def test_a_long_cell_is_shown_from_its_shared_lines(
    hostile_class: tuple[Path, SimilarityResult],
) -> None:
    out, _ = hostile_class
    page = (out / "similarity.html").read_text("utf-8")
    assert "<mark>fin = fin.q39(fin)</mark>" in page and "a = a.u5()" not in page
    assert "… (début non affiché)" in page
    assert len(page) < 2_000_000  # every pair's cells are bounded


def test_noise_and_broken_python_tokenise_within_the_budget() -> None:
    for source in (NOISE, "'''never closed\nx = 1", "if x:\n        a\n    b\n", "\x00" * 100):
        tokens = cell_tokens(source, 500)
        assert len(tokens) <= 500
    assert len(cell_tokens("a = b\n" * 100_000, MAX_TOKENS)) == MAX_TOKENS


def test_csv_cells_are_never_formulas() -> None:
    pair = Pair('=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", (0.9, 0.8), False)
    text = similarity_csv(Comparison([pair], 0.5, 2, {}))
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["student_1"].startswith("'=") and row["student_2"].startswith("'+")
