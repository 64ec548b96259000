"""Where a student's answer to a manual criterion is found, and what of it reaches the page:
from the course's own templates, and from hostile notebooks (no kernel, no server)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_output

from grader.marking.answers import PLOTS_PER_ANSWER, answer_parts, criterion_sections, sections
from grader.text import SECTION_TEXT_LIMIT
from tests.conftest import ROOT

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20).decode()


def plot(data: Any) -> Any:
    cell = new_code_cell("plt.show()")
    cell.outputs = [new_output("display_data", data={"image/png": data})]
    return cell


@pytest.mark.parametrize(
    ("assignment", "criterion", "heading"),
    [
        ("tp1-generation", "commentaire", "5. Commentaire"),
        ("mini-projet", "analyse", "4. Résultats"),
        ("tp-tokenisation", "commentaire", None),  # only the notebook's title shares a word
    ],
)
def test_the_course_templates_sections(
    assignment: str, criterion: str, heading: str | None
) -> None:
    rubric = (ROOT / "rubrics" / f"{assignment}.yaml").read_text()
    title = next(
        line for line in rubric.split(f"id: {criterion}\n")[1].splitlines() if "title" in line
    )
    book = nbformat.read(ROOT / "assignments" / assignment / f"{assignment}.ipynb", as_version=4)
    found = criterion_sections(sections(book.cells), criterion, title, set())
    assert [s.heading for s in found] == ([heading] if heading else [])


def test_a_tagged_cell_wins_and_a_tie_goes_to_what_the_student_wrote() -> None:
    cells = [
        new_markdown_cell("## 1. Les paramètres"),
        new_markdown_cell("## 2. Commentaire"),
        new_markdown_cell("Mon commentaire."),
        new_markdown_cell("## 3. Annexe"),
        plot(PNG),
    ]
    notebook = sections(cells)
    title = "Qualité du commentaire sur les paramètres"
    assert [s.heading for s in criterion_sections(notebook, "c", title, set())] == [
        "2. Commentaire"
    ]
    cells[3].metadata["grader"] = {"criterion": ["autre", "c"]}
    parts, headings = answer_parts(sections(cells), "c", title, {"## 3. Annexe"})
    assert headings == ["3. Annexe"] and [p.kind for p in parts] == ["markdown", "plot"]
    assert parts[0].template and parts[1].content == PNG


def test_no_section_found_gives_the_free_text_of_the_whole_notebook() -> None:
    cells = [new_markdown_cell("# Énoncé"), new_markdown_cell("Réponse libre."), plot(PNG)]
    parts, headings = answer_parts(sections(cells), "x", "Rien à voir", {"# Énoncé"})
    assert headings == [] and [(p.kind, p.template) for p in parts] == [
        ("markdown", False),
        ("plot", False),
    ]


def test_hostile_cells_are_cleaned_bounded_or_left_out(tmp_path: Path) -> None:
    lone = "\ud800"
    cells: list[Any] = [
        new_markdown_cell("## Analyse\x00\x1b[31m"),
        new_markdown_cell(f"a{lone}b\x07" + "x" * (10 * SECTION_TEXT_LIMIT)),
        plot("not base64 !"),
        plot(base64.b64encode(b"GIF89a...").decode()),  # not a PNG
        plot(["a", "list"]),
        *(plot(PNG) for _ in range(PLOTS_PER_ANSWER + 3)),
        {"cell_type": "code", "outputs": 7, "source": ""},
        {"cell_type": "markdown", "metadata": [1], "source": "méta"},
        "not a cell",
    ]
    cells[1].metadata["grader"] = "analyse"  # not a mapping: ignored
    parts, headings = answer_parts(sections(cells), "analyse", "Analyse", set())
    assert headings == ["Analyse\\x00\\x1b[31m"]
    text = parts[1].content
    assert len(text) <= SECTION_TEXT_LIMIT and "\ufffd" in text and "\\x07" in text
    assert [p.kind for p in parts].count("plot") == PLOTS_PER_ANSWER
    assert all(p.content == PNG for p in parts if p.kind == "plot")
    assert parts[-1].content == "méta"
