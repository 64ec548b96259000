"""A quiz being imported: plain data in the shape of grader/quiz/spec.py, and what was left out."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

ID_CHARACTERS = re.compile(r"[^A-Za-z0-9_.-]+")


def make_id(wanted: str, fallback: str) -> str:
    """An id grader accepts: accents dropped, other characters `-`, `fallback` if empty."""
    plain = "".join(
        char
        for char in unicodedata.normalize("NFKD", wanted.strip())
        if not unicodedata.combining(char)
    )
    made = ID_CHARACTERS.sub("-", plain).strip("-.")[:60] or fallback
    return made if made[0].isalnum() else f"q{made}"


@dataclass(frozen=True)
class Skipped:
    """Something of the source that the quiz does not hold, and where it was."""

    line: int | None
    what: str


@dataclass
class Draft:
    """A quiz being read: plain data, and what was left out."""

    title: str
    questions: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    scheme: dict[str, Any] | None = None
    pools: list[dict[str, Any]] = field(default_factory=list)
    _ids: set[str] = field(default_factory=set)

    def add(self, question: dict[str, Any], pool: dict[str, Any] | None) -> None:
        """`question` added to the quiz, and to `pool`'s questions when it is drawn from one."""
        self.questions.append(question)
        if pool is not None:
            pool["questions"].append(question["id"])

    def skip(self, line: int | None, what: str) -> None:
        self.skipped.append(Skipped(line, what))

    def release(self, question_id: str) -> None:
        """`question_id` was not used after all (its question was skipped)."""
        self._ids.discard(question_id)

    def unique_id(self, wanted: str, fallback: str) -> str:
        """`wanted` made a valid, unused question id: accents dropped, other characters `-`
        (`fallback` if nothing of it is usable), `-2`, `-3`… if already taken."""
        base = make_id(wanted, fallback)
        candidate, number = base, 2
        while candidate in self._ids:
            candidate, number = f"{base}-{number}", number + 1
        self._ids.add(candidate)
        return candidate

    def as_data(self, quiz_id: str) -> dict[str, Any]:
        data: dict[str, Any] = {"id": quiz_id, "title": self.title}
        if self.scheme is not None:
            data["scheme"] = self.scheme
        if self.pools:
            data["pools"] = self.pools
        data["questions"] = self.questions
        return data
