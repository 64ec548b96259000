"""Text from a submission or a kernel is hostile data: the one place that makes it safe.

A kernel can answer with anything: a lone surrogate (which no UTF-8 encoder accepts, so it
crashed the gradebook's SQLite write), control characters (which XML 1.0 forbids, so they broke
the JUnit file, and which a terminal obeys), or megabytes of text (stored and rendered again on
every run). A student's file name becomes their id and lands in spreadsheets. So:

- `safe_text` replaces lone surrogates with U+FFFD, shows every control character other than
  tab, newline and carriage return as an escape (``\\x1b``), and cuts the text at a size, saying
  so in the text itself;
- `TextBudget` does that for every text of one student's report, within a total;
- `student_id` turns a file name into an id that is clean and still tells two names apart;
- `spreadsheet_writer` writes CSV whose cells no spreadsheet runs as a formula (OWASP).
"""

from __future__ import annotations

import contextlib
import csv
import re
from collections.abc import Iterable
from typing import IO, Any

MESSAGE_LIMIT = 2000  # characters of one message, error or detail from a submission or a kernel
SECTION_TEXT_LIMIT = 5000  # one text of a report section: a student's comment, a bench output
REPORT_TEXT_LIMIT = 50_000  # all such text of one student's report together

# Neither XML 1.0 nor a terminal takes these: C0 controls but tab, newline and carriage
# return; DEL and the C1 controls (\x9b opens an escape sequence on some terminals);
# U+FFFE and U+FFFF. Lone surrogates are replaced rather than escaped.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]|[\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if "\ud800" <= char <= "\udfff":
        return "\ufffd"
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def clean_text(text: str) -> str:
    """Lone surrogates as U+FFFD, control characters (but tab, LF, CR) as visible escapes."""
    return _UNSAFE.sub(_escape, text)


def cut_marker(length: int) -> str:
    """What ends a text cut at its size limit; `length` is the size it had."""
    return f"… [message tronqué : {length:,} caractères]".replace(",", "\u202f")


def safe_text(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """`text` clean, and at most `limit` characters, the marker of a cut included.

    Idempotent: a safe text is returned unchanged. Cuts before cleaning, so that a text of
    60 MB costs no more than one of `limit` characters.
    """
    if len(text) <= limit:
        cleaned = clean_text(text)
        if len(cleaned) <= limit:
            return cleaned
    marker = cut_marker(len(text))
    kept = clean_text(text[: max(0, limit - len(marker))])  # escapes lengthen the text
    return kept[: max(0, limit - len(marker))] + marker


OMITTED = "[texte omis : limite de texte de la copie atteinte]"


class TextBudget:
    """Safe texts for one student's report, of `total` characters at most, together.

    Past the total, a text becomes OMITTED: the report says that the rest was cut.
    """

    def __init__(self, total: int = REPORT_TEXT_LIMIT) -> None:
        self.left = total

    def text(self, text: str, limit: int = MESSAGE_LIMIT) -> str:
        if self.left < len(OMITTED) and text:
            return OMITTED
        kept = safe_text(text, min(limit, max(self.left, len(OMITTED))))
        self.left -= len(kept)
        return kept

    def optional(self, text: str | None, limit: int = MESSAGE_LIMIT) -> str | None:
        return None if text is None else self.text(text, limit)

    def data(self, value: Any, limit: int = SECTION_TEXT_LIMIT) -> Any:
        """Every text inside plain JSON data (keys included) made safe; the rest unchanged."""
        if isinstance(value, str):
            return self.text(value, limit)
        if isinstance(value, dict):
            return {self.text(str(k), limit): self.data(v, limit) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(item, limit) for item in value]
        return value


def student_id(name: str) -> str:
    """The id of a student from a file or folder name: bytes that are not UTF-8 shown as
    ``\\xff`` (rather than U+FFFD, so that two such names stay two students), then clean."""
    with contextlib.suppress(UnicodeEncodeError):  # else a surrogate no file name holds
        name = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return clean_text(name)


# --- CSV: OWASP's "CSV injection" ---------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _formula(text: str) -> bool:
    return text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text)


def spreadsheet_cell(value: object) -> object:
    """A CSV cell that no spreadsheet runs: text that starts with = + - @, a tab or a carriage
    return gets a leading ' (OWASP), and so does text that would read back as such ('=x), so
    that `spreadsheet_text` gives back the exact text. Numbers stay numbers, and so does text
    that is only a number: a score of -1.5 is a negative score, not a formula."""
    if isinstance(value, str) and _formula(value.lstrip("'")):
        return "'" + value
    return value


def spreadsheet_text(cell: str) -> str:
    """The text `spreadsheet_cell` was given, from a cell read back from a CSV file."""
    return cell[1:] if cell.startswith("'") and _formula(cell.lstrip("'")) else cell


class SpreadsheetWriter:
    """csv.writer with every cell through `spreadsheet_cell`: every CSV export writes with it."""

    def __init__(self, out: IO[str]) -> None:
        # Lines end with CRLF (RFC 4180): Python 3.11's csv quotes a field holding a carriage
        # return only when the line terminator holds one, and an unquoted CR splits the row.
        self._writer = csv.writer(out, lineterminator="\r\n")

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([spreadsheet_cell(value) for value in row])
