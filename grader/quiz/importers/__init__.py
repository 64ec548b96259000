"""`grader quiz import`: a Moodle XML, GIFT, AMC-TXT or Markdown bank as grader's quiz YAML.

Each format is one module with a `read(text, path) -> Draft` function (the Draft of
grader/quiz/importers/draft.py), registered in `READERS`: a new format is one module and one
line there. A reader builds plain data in the shape of grader/quiz/spec.py (what
`yaml.safe_dump` writes) and lists what it could not import, each with its line, instead of
guessing. The YAML is validated by the quiz models before it is written, so an import never
produces a file `quiz score` would refuse. Input is hostile: size capped, no XML DTD or
entity, every text kept through the HTML allow-list when shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import yaml

from grader.errors import ConfigError
from grader.quiz.answers import decode
from grader.quiz.importers import amc_txt, gift, markdown, moodle_xml
from grader.quiz.importers.draft import Draft, Skipped, make_id
from grader.quiz.spec import parse_quiz

MAX_BYTES = 20 * 1024 * 1024


Reader = Callable[[str, Path], Draft]


READERS: dict[str, Reader] = {
    "moodle": moodle_xml.read,
    "gift": gift.read,
    "amc": amc_txt.read,
    "markdown": markdown.read,
}


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
        draft = markdown.read(text, path, (read_source(key, encoding), key))
    else:
        draft = READERS[chosen](text, path)
    if not draft.questions:
        raise ConfigError(path, f"no question could be imported (read as {chosen})")
    quiz_id = make_id(path.stem, "quiz")
    yaml_text = yaml.safe_dump(
        draft.as_data(quiz_id), allow_unicode=True, sort_keys=False, width=100
    )
    parse_quiz(yaml_text, path.with_suffix(".yaml"))  # never write what `quiz score` refuses
    return yaml_text, draft


__all__ = ["READERS", "Draft", "Skipped", "guess_format", "import_quiz"]
