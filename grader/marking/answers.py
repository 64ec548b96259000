"""A student's answer to a manual criterion: the markdown and plots of its notebook section.

The notebook is cut into sections at its markdown headings. A criterion's section is the one
holding a cell whose metadata names it (`"grader": {"criterion": "<id>"}`, copied from the
template); else the section whose heading shares most words with the criterion's title or id
(a section the student wrote in first, the last one on a tie); else the whole notebook's free
text, as `grader manual export` gives it. Everything read from the notebook is the student's:
texts are cleaned and bounded (grader/text.py), plots kept as base64 PNG only.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from grader.text import SECTION_TEXT_LIMIT, safe_text

PLOTS_PER_ANSWER = 12
PNG_BYTES = 4 * 1024**2  # a larger image is left out of the page
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*)$")
_WORD = re.compile(r"[a-z0-9]+")


@dataclass
class Section:
    heading: str  # "" for what comes before the first heading
    level: int  # 1 for "#", 0 before the first heading
    cells: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class Part:
    kind: str  # "markdown" or "plot"
    content: str  # the markdown's text, or the plot's PNG in base64
    template: bool = False  # the assignment's own text (the question), not the student's


def sections(cells: Iterable[Any]) -> list[Section]:
    found = [Section("", 0)]
    for cell in cells:
        if not isinstance(cell, dict):  # a hand-made notebook: anything at all
            continue
        heading = _heading(cell)
        if heading is not None:
            found.append(Section(*heading))
        found[-1].cells.append(cell)
    return [s for s in found if s.cells]


def answer_parts(
    notebook: Sequence[Section], criterion: str, title: str, template: set[str]
) -> tuple[list[Part], list[str]]:
    """The parts of the criterion's answer and the headings of the sections they come from."""
    chosen = criterion_sections(notebook, criterion, title, template)
    if not chosen:
        parts = [p for s in notebook for p in _parts(s.cells, template) if not p.template]
        return parts, []
    return [p for s in chosen for p in _parts(s.cells, template)], [s.heading for s in chosen]


def criterion_sections(
    notebook: Sequence[Section], criterion: str, title: str, template: set[str]
) -> list[Section]:
    tagged = [s for s in notebook if any(criterion in _tags(c) for c in s.cells)]
    if tagged:
        return tagged
    wanted = _words(f"{title} {criterion}")
    deepest = max((s.level for s in notebook), default=0)  # the notebook's title names it all
    scored = [
        (len(wanted & _words(s.heading)), _written(s, template), i)
        for i, s in enumerate(notebook)
        if s.level > 1 or deepest <= 1
    ]
    best = max(scored, default=(0, False, 0))
    return [notebook[best[2]]] if best[0] else []


def _heading(cell: Any) -> tuple[str, int] | None:
    if cell.get("cell_type") != "markdown":
        return None
    first = str(cell.get("source", "")).strip().split("\n", 1)[0]
    match = _HEADING.match(first)
    return (safe_text(match.group(2).strip(), 200), len(match.group(1))) if match else None


def _tags(cell: Any) -> set[str]:
    metadata = cell.get("metadata")
    meta = metadata.get("grader") if isinstance(metadata, dict) else None
    named = meta.get("criterion") if isinstance(meta, dict) else None
    if isinstance(named, str):
        return {named}
    return {n for n in named if isinstance(n, str)} if isinstance(named, list) else set()


def _words(text: str) -> set[str]:
    folded = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    return {w for w in _WORD.findall(folded) if len(w) >= 4}


def _written(section: Section, template: set[str]) -> bool:
    return any(not p.template for p in _parts(section.cells, template))


def _parts(cells: Iterable[Any], template: set[str]) -> list[Part]:
    parts: list[Part] = []
    for cell in cells:
        source = str(cell.get("source", "")).strip()
        if cell.get("cell_type") == "markdown" and source:
            parts.append(
                Part("markdown", safe_text(source, SECTION_TEXT_LIMIT), source in template)
            )
        outputs = cell.get("outputs") if cell.get("cell_type") == "code" else None
        for output in outputs if isinstance(outputs, list) else ():
            png = _png(output)
            if png and sum(p.kind == "plot" for p in parts) < PLOTS_PER_ANSWER:
                parts.append(Part("plot", png))
    return parts


def _png(output: Any) -> str | None:
    """The output's PNG as clean base64, or None (not an image, not PNG, too large, garbled)."""
    data = output.get("data") if isinstance(output, dict) else None
    image = data.get("image/png") if isinstance(data, dict) else None
    if not isinstance(image, str) or len(image) > PNG_BYTES * 4 // 3 + 4:
        return None
    try:
        raw = base64.b64decode("".join(image.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    return base64.b64encode(raw).decode() if raw.startswith(b"\x89PNG\r\n\x1a\n") else None
