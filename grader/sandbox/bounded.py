"""JSON from a kernel, measured on its raw text before anything is built from it.

json.loads, and jupyter_client's Session, which runs it on every frame of every message a kernel
sends, build the whole value before anyone can look at it: 60 MB of `{}` become 20 million
dicts, over a gigabyte and seconds of the grader's time. Here the text is measured first, by
C-speed passes over its bytes: its size, then its brackets and commas outside strings (skipped
by json's own string scanner, and only when those inside could matter), which give its number of
values and, by removing the innermost pairs pass after pass, its depth. A bomb costs a fraction
of a second and little memory; a text within the limits goes to the parser unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

from grader.messages import Message, say, size


@dataclass(frozen=True)
class JsonLimits:
    """What one JSON text may hold: its size, its values (each container, and each item after
    the first in one, counted from its brackets and commas) and its nesting depth."""

    max_bytes: int
    max_values: int
    max_depth: int


class TooLarge(Exception):
    """A text, or a value in it, passed a limit: what it held and the limit, as messages."""

    def __init__(self, what: Message, limit: Message) -> None:
        super().__init__(f"{what.text()} (limite : {limit.text()})")
        self.what = what
        self.limit = limit


def measure(raw: bytes, limits: JsonLimits) -> None:
    """Raise TooLarge if the JSON text `raw` passes one of `limits`, ValueError if it is no
    JSON (a string that never ends, brackets that do not pair)."""
    if len(raw) > limits.max_bytes:
        raise TooLarge(say("large.text_bytes", size=size(len(raw))), size(limits.max_bytes))
    marks = raw.translate(_SQUARE, _NOT_MARKS)
    if b'"' in marks:  # strings may hold brackets and commas: skip them if those could matter
        if _count_values(marks) <= limits.max_values and marks.count(b"[") <= limits.max_depth:
            return
        text = _outside_strings(raw.decode("utf-8", "replace"), limits)
        marks = text.encode("utf-8").translate(_SQUARE, _NOT_MARKS)
    if _count_values(marks) > limits.max_values:
        raise _too_many_values(limits)
    brackets = marks.translate(None, b",")
    if 2 * brackets.count(b"[") != len(brackets):
        raise ValueError("brackets that do not pair")
    _measure_depth(brackets, limits)


def _count_values(marks: bytes) -> int:
    """Each container, and each item after the first in one."""
    return marks.count(b"[") + marks.count(b",")


def _too_many_values(limits: JsonLimits) -> TooLarge:
    number = limits.max_values
    return TooLarge(say("large.more_values", count=number), say("large.values", count=number))


# What the structure is made of: brackets (braces become square ones), commas, quotes.
_SQUARE = bytes.maketrans(b"{}", b"[]")
_NOT_MARKS = bytes(set(range(256)) - set(b'[]{},"'))


def _outside_strings(text: str, limits: JsonLimits) -> str:
    """`text` without its strings, each skipped by json's own C scanner."""
    parts, position, strings = [], 0, 0
    while (start := text.find('"', position)) != -1:
        parts.append(text[position:start])
        position = scanstring(text, start + 1)[1]
        strings += 1
        if strings > 2 * limits.max_values + 2:  # each is a value or a key
            raise _too_many_values(limits)
    parts.append(text[position:])
    return "".join(parts)


def _measure_depth(brackets: bytes, limits: JsonLimits) -> None:
    """Each pass removes the innermost pairs: a nesting `depth` deep empties in `depth` passes."""
    for _ in range(limits.max_depth + 1):
        if not brackets:
            return
        inner = brackets.replace(b"[]", b"")
        if inner == brackets:
            raise ValueError("brackets that do not pair")
        brackets = inner
    number = limits.max_depth
    raise TooLarge(say("large.more_levels", count=number), say("large.levels", count=number))


def loads(raw: bytes, limits: JsonLimits) -> Any:
    """json.loads, once `raw` is known to stay within `limits`."""
    measure(raw, limits)
    return json.loads(raw)


def bounded_unpacker(unpack: Callable[[bytes], Any], limits: JsonLimits) -> Callable[[bytes], Any]:
    """A Session unpacker that measures each frame, then parses it with `unpack` (jupyter_client's
    own, whatever it is)."""

    def bounded(raw: bytes) -> Any:
        measure(raw, limits)
        return unpack(raw)

    return bounded
