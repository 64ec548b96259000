"""`grader quiz import`: a Moodle XML, GIFT, AMC-TXT or Markdown bank as grader's quiz YAML.

Each format is one module with a `read(text, path) -> Draft` function, registered in
`READERS`; a new format is one module and one line there. A reader builds plain data in the
shape of grader/quiz/spec.py (what `yaml.safe_dump` writes) and lists what it could not import,
each with its line, instead of guessing. The YAML is validated by the quiz models before it is
written, so an import never produces a file `quiz score` would refuse. Input is hostile: size
capped, no XML DTD or entity, every text kept through the HTML allow-list when shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from grader.errors import ConfigError
from grader.quiz.spec import parse_quiz

MAX_BYTES = 20 * 1024 * 1024
ID_CHARACTERS = re.compile(r"[^A-Za-z0-9_.-]+")


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

    def skip(self, line: int | None, what: str) -> None:
        self.skipped.append(Skipped(line, what))

    def unique_id(self, wanted: str, fallback: str) -> str:
        """`wanted` made a valid, unused question id (`q-3` if nothing of it is usable)."""
        base = ID_CHARACTERS.sub("-", wanted.strip()).strip("-.")[:60] or fallback
        base = base if base[0].isalnum() else f"q{base}"
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


Reader = Callable[[str, Path], Draft]


def _readers() -> dict[str, Reader]:
    from grader.quiz.importers import amc_txt, gift, markdown, moodle_xml

    return {
        "moodle": moodle_xml.read,
        "gift": gift.read,
        "amc": amc_txt.read,
        "markdown": markdown.read,
    }


FORMATS = ("moodle", "gift", "amc", "markdown")


def guess_format(path: Path, text: str) -> str:
    """By suffix, then by content: XML, GIFT's `::name::`/`{…}`, AMC-TXT's `*`, else Markdown."""
    suffix = path.suffix.lower()
    if suffix == ".xml" or text.lstrip().startswith("<?xml") or "<quiz>" in text[:2000]:
        return "moodle"
    if suffix == ".gift":
        return "gift"
    if suffix in {".md", ".markdown"}:
        return "markdown"
    if re.search(r"^\s*\*{1,2}(\s|\[|\{)", text, re.MULTILINE) and re.search(
        r"^[+-] ", text, re.MULTILINE
    ):
        return "amc"
    return "gift"


def read_source(path: Path, encoding: str | None = None) -> str:
    from grader.quiz.answers import decode

    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ConfigError(path, "file not found") from None
    if size > MAX_BYTES:
        raise ConfigError(path, f"too large to import ({size} bytes, at most {MAX_BYTES})")
    notices: list[str] = []
    return decode(path, path.read_bytes(), encoding, notices)


def import_quiz(
    path: Path,
    source_format: str | None = None,
    encoding: str | None = None,
    key: Path | None = None,
) -> tuple[str, Draft]:
    """The quiz YAML read from `path`, and the draft with what was skipped."""
    text = read_source(path, encoding)
    chosen = source_format or guess_format(path, text)
    if key is not None:
        if chosen != "markdown":
            raise ConfigError(key, "an answer key file only goes with a Markdown checklist")
        from grader.quiz.importers import markdown

        draft = markdown.read(text, path, (read_source(key, encoding), key))
    else:
        draft = _readers()[chosen](text, path)
    if not draft.questions:
        raise ConfigError(path, f"no question could be imported (read as {chosen})")
    quiz_id = ID_CHARACTERS.sub("-", path.stem).strip("-.") or "quiz"
    quiz_id = quiz_id if quiz_id[0].isalnum() else f"q{quiz_id}"
    yaml_text = yaml.safe_dump(
        draft.as_data(quiz_id), allow_unicode=True, sort_keys=False, width=100
    )
    parse_quiz(yaml_text, path.with_suffix(".yaml"))  # never write what `quiz score` refuses
    return yaml_text, draft
