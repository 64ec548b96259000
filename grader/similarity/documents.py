"""Each submission's own code as winnowed fingerprints, placed in its cells.

The template's code never counts: a student's line whose tokens are those of a line of the
released template is left out (whatever names it uses), and so is every k-gram of tokens the
template holds. What is left is fingerprinted by winnowing (Schleimer, Wilkerson and Aiken,
2003), cell by cell so that their order does not matter: the smallest hash of each window of
WINDOW consecutive k-grams, so that any run of at least K + WINDOW - 1 tokens two notebooks
share yields a shared fingerprint, whatever surrounds it.

Every bound is here: cells and characters per notebook, characters per cell, tokens per
notebook.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from grader.assignment.self_check_cells import is_self_check_cell
from grader.similarity.tokens import Token, cell_tokens

K = 12  # tokens per k-gram
WINDOW = 8  # k-grams per winnowing window
MAX_CELLS = 1000  # code cells read per notebook
MAX_CELL_CHARS = 50_000  # characters read per cell
MAX_CODE_CHARS = 500_000  # characters read per notebook: ten times a long TP's code
MAX_TOKENS = 30_000  # tokens per notebook


@dataclass(frozen=True)
class Cell:
    number: int  # 1-based, among all the notebook's cells, as Jupyter shows them
    source: str


@dataclass(frozen=True)
class Note:
    """What was not compared, or was cut: a key of grader/report/i18n.py's similarity notes."""

    key: str
    fields: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class Template:
    """What the students were given: its lines and its k-grams never count."""

    lines: frozenset[tuple[str, ...]]  # the normalised tokens of each line
    kgrams: frozenset[int]


@dataclass
class Document:
    """One submission's own code: its fingerprints, each token's place in its cells."""

    student: str
    cells: list[Cell]
    places: list[tuple[int, int]] = field(default_factory=list)  # token -> (cell index, line)
    fingerprints: dict[int, list[int]] = field(default_factory=dict)  # hash -> first tokens
    notes: list[Note] = field(default_factory=list)  # what was cut


def notebook_cells(content: bytes) -> tuple[list[Cell], list[Note]]:
    """The code cells of a notebook's bytes, bounded, and notes on what was not read."""
    try:
        notebook = json.loads(content.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):
        return [], [Note("unreadable")]
    raw = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(raw, list):
        return [], [Note("no-cells")]
    cells: list[Cell] = []
    notes: list[Note] = []
    left = MAX_CODE_CHARS
    for number, cell in enumerate(raw, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        if is_self_check_cell(cell):  # the released checker, the same in every notebook
            continue
        if len(cells) == MAX_CELLS or left <= 0:
            notes.append(Note("cells-cut", (("count", len(cells)),)))
            break
        source = _source_text(cell.get("source"))
        if len(source) > min(MAX_CELL_CHARS, left):
            notes.append(
                Note("cell-cut", (("number", number), ("count", min(MAX_CELL_CHARS, left))))
            )
            source = source[: min(MAX_CELL_CHARS, left)]
        cells.append(Cell(number, source))
        left -= len(source)
    return cells, notes


def _source_text(source: Any) -> str:
    if isinstance(source, str):
        return source[: MAX_CELL_CHARS + 1]
    if isinstance(source, list):
        text, size = [], 0
        for part in source:
            if not isinstance(part, str) or size > MAX_CELL_CHARS:
                break
            text.append(part)
            size += len(part)
        return "".join(text)
    return ""


def make_template(template: Sequence[str]) -> Template:
    """The template's code cells: the tokens of each line, every k-gram of each cell."""
    lines: set[tuple[str, ...]] = set()
    kgrams: set[int] = set()
    for cell in template:
        tokens = cell_tokens(cell, MAX_TOKENS)
        lines.update(_line_signatures(tokens).values())
        kgrams.update(kgram_hashes([t.symbol for t in tokens]))
    lines.discard(())
    return Template(frozenset(lines), frozenset(kgrams))


def solution_kgrams(solution: Iterable[str]) -> frozenset[int]:
    """Every k-gram of the instructor's solution: code each correct notebook may share."""
    kgrams: set[int] = set()
    for cell in solution:
        kgrams.update(kgram_hashes([t.symbol for t in cell_tokens(cell, MAX_TOKENS)]))
    return frozenset(kgrams)


def fingerprint(student: str, cells: list[Cell], template: Template) -> Document:
    """The document of one submission: each cell's tokens outside the template, winnowed.

    Cells are fingerprinted one by one, so that their order does not matter."""
    document = Document(student, cells)
    for index, cell in enumerate(cells):
        budget = MAX_TOKENS - len(document.places)
        if budget <= 0:
            document.notes.append(Note("tokens-cut", (("count", MAX_TOKENS),)))
            break
        tokens = _own_tokens(cell.source, template, budget)
        first = len(document.places)
        document.places += [(index, token.line) for token in tokens]
        hashes = kgram_hashes([token.symbol for token in tokens])
        own = [(h, first + i) for i, h in enumerate(hashes) if h not in template.kgrams]
        for h, start in winnow(own):
            document.fingerprints.setdefault(h, []).append(start)
    return document


def _own_tokens(source: str, template: Template, budget: int) -> list[Token]:
    """The cell's tokens but those of a line the template holds (whatever its names)."""
    tokens = cell_tokens(source, budget)
    signatures = _line_signatures(tokens)
    return [token for token in tokens if signatures[token.line] not in template.lines]


_LAYOUT = frozenset({";", "{", "}"})


def _line_signatures(tokens: Sequence[Token]) -> dict[int, tuple[str, ...]]:
    """Each line's tokens, its layout (newline, indentation) left out."""
    lines: dict[int, list[str]] = {}
    for token in tokens:
        symbols = lines.setdefault(token.line, [])
        if token.symbol not in _LAYOUT:
            symbols.append(token.symbol)
    return {line: tuple(symbols) for line, symbols in lines.items()}


def kgram_hashes(symbols: Sequence[str]) -> list[int]:
    """The hash of each run of K tokens (a tuple of ints hashes alike in every process)."""
    ids = [_stable_id(symbol) for symbol in symbols]
    return [hash(tuple(ids[i : i + K])) for i in range(len(ids) - K + 1)]


@functools.lru_cache(maxsize=1 << 16)
def _stable_id(symbol: str) -> int:
    digest = hashlib.blake2b(symbol.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def winnow(kgrams: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The (hash, position) chosen: the rightmost smallest hash of each window of WINDOW."""
    if not kgrams:
        return []
    if len(kgrams) <= WINDOW:
        return [min(kgrams, key=lambda kgram: kgram[0])]
    chosen: list[tuple[int, int]] = []
    best = -1
    for start in range(len(kgrams) - WINDOW + 1):
        end = start + WINDOW - 1
        if best < start:
            best = min(range(start, end + 1), key=lambda i: (kgrams[i][0], -i))
            chosen.append(kgrams[best])
        elif kgrams[end][0] <= kgrams[best][0]:
            best = end
            chosen.append(kgrams[best])
    return chosen
