"""similarity.html (self-contained: inline CSS, no script, no request) and similarity.csv.

The page ranks the pairs, says that a high similarity is a reason to look and never a verdict,
and opens each of the first pairs on its matching cells side by side, the shared lines marked.
Every text shown comes from a submission: it goes through safe_text, and the template escapes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from grader import formats
from grader.report.html import _ENVIRONMENTS
from grader.report.i18n import Lang, translator
from grader.similarity.compare import Comparison, Pair, cell_matches
from grader.similarity.documents import Cell, Document, Note
from grader.text import SpreadsheetWriter, safe_text

MAX_LISTED = 300  # pairs in the page's table (the CSV has them all)
MAX_DETAILED = 30  # pairs opened side by side
MAX_MATCHES = 10  # pairs of cells per pair
MAX_LINES = 80  # lines per cell shown, from a little before its first shared line
MAX_LINE_CHARS = 200
CONTEXT = 3  # lines shown before the first shared one
CSV_FIELDS = ("student_1", "student_2", "share_1", "share_2", "score", "stands_out", "group")


@dataclass(frozen=True)
class ShownLine:
    number: int
    text: str
    marked: bool


@dataclass(frozen=True)
class ShownCell:
    number: int
    lines: list[ShownLine]
    cut_before: bool
    cut_after: bool


@dataclass(frozen=True)
class ShownPair:
    pair: Pair
    flagged: bool
    matches: list[tuple[ShownCell, ShownCell]]


def render_similarity(
    comparison: Comparison,
    documents: Sequence[Document],
    title: str,
    notes: Sequence[tuple[str, Note]],
    lang: Lang = "fr",
) -> str:
    """The page; `notes` are (student, what was not compared or was cut)."""
    by_student = {document.student: document for document in documents}
    shown = [
        ShownPair(
            pair,
            comparison.flagged(pair),
            _matches(by_student[pair.first], by_student[pair.second], comparison.weights),
        )
        for pair in comparison.pairs[:MAX_DETAILED]
    ]
    return (
        _ENVIRONMENTS[lang]
        .get_template("similarity.html")
        .render(
            title=title,
            comparison=comparison,
            listed=comparison.pairs[:MAX_LISTED],
            shown=shown,
            flagged=sum(comparison.flagged(p) for p in comparison.pairs),
            notes=[(safe_text(student, 200), _note(note, lang)) for student, note in notes],
            percent=lambda share: formats.percent(round(100 * share), lang),
        )
    )


def _note(note: Note, lang: Lang) -> str:
    fields = {name: safe_text(str(value), 500) for name, value in note.fields}
    return str(translator(lang)(f"similarity_note.{note.key}", **fields))


def _matches(
    first: Document, second: Document, weights: dict[int, float]
) -> list[tuple[ShownCell, ShownCell]]:
    return [
        (
            _shown(first.cells[match.first_cell], match.first_lines),
            _shown(second.cells[match.second_cell], match.second_lines),
        )
        for match in cell_matches(first, second, weights)[:MAX_MATCHES]
    ]


def _shown(cell: Cell, marked: frozenset[int]) -> ShownCell:
    """The cell's lines around the shared ones, bounded."""
    lines = cell.source.splitlines()
    first = max(min(marked, default=1) - CONTEXT, 1)
    last = min(first + MAX_LINES - 1, len(lines))
    return ShownCell(
        cell.number,
        [
            ShownLine(number, safe_text(lines[number - 1], MAX_LINE_CHARS), number in marked)
            for number in range(first, last + 1)
        ],
        first > 1,
        last < len(lines),
    )


def similarity_csv(comparison: Comparison) -> str:
    """Every pair sharing own code, highest score first."""
    out = io.StringIO()
    writer = SpreadsheetWriter(out)
    writer.writerow(CSV_FIELDS)
    for pair in comparison.pairs:
        writer.writerow(
            (
                pair.first,
                pair.second,
                f"{pair.shares[0]:.3f}",
                f"{pair.shares[1]:.3f}",
                f"{pair.score:.3f}",
                "yes" if comparison.flagged(pair) else "no",
                "yes" if pair.group else "no",
            )
        )
    return out.getvalue()
