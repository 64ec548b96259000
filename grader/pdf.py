"""A submission's PDF, read in the grader's process tree but never in a kernel, within limits.

The bytes are bounded before anything parses them; then grader/pdf_worker.py reads them (pypdf
for the pages, text and figures, pdfium for small page images) in a child process with limits
on CPU time, address space and wall time, and no file it may write. A PDF that is too large,
truncated, encrypted, a compression bomb or anything else that breaks the reading is a
PdfUnreadable whose message a student reads; the grader itself never crashes on it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader import messages
from grader.messages import Message, say
from grader.results import figure_png

WORKER = Path(__file__).with_name("pdf_worker.py")


@dataclass(frozen=True)
class PdfLimits:
    max_bytes: int = 20 * 1024**2  # a two-page report with figures is well under 5 MiB
    read_pages: int = 20  # pages whose text and figures are read (all are counted)
    text_chars: int = 200_000  # of text, all pages together
    images: int = 4  # pages drawn as images
    image_width: int = 420  # pixels
    image_bytes: int = 400 * 1024  # one page's PNG; a larger one is left out
    cpu_s: int = 20
    memory_bytes: int = 1024**3
    wall_s: float = 60.0


@dataclass(frozen=True)
class PdfReport:
    pages: int
    text: str  # of the first `read_pages` pages
    figures: int  # images and embedded drawings on those pages
    images: tuple[str, ...]  # base64 PNGs of the first pages


class PdfUnreadable(Exception):
    """The PDF could not be read: `said` is the sentence a student reads."""

    def __init__(self, said: Message, detail: str | None = None) -> None:
        super().__init__(said.text("fr"))
        self.said = said
        self.detail = detail


def read_pdf(content: bytes, name: str, limits: PdfLimits = PdfLimits()) -> PdfReport:
    """What the automatic criteria need of the PDF `content` (the file `name`)."""
    if len(content) > limits.max_bytes:
        raise PdfUnreadable(say("pdf.too_large", name=name, limit=messages.size(limits.max_bytes)))
    if not content.lstrip()[:5].startswith(b"%PDF-"):
        raise PdfUnreadable(say("pdf.not_pdf", name=name))
    found = _run_worker(content, name, limits)
    if found.get("encrypted"):
        raise PdfUnreadable(say("pdf.encrypted", name=name))
    try:
        return PdfReport(
            pages=int(found["pages"]),
            text=str(found["text"])[: limits.text_chars],
            figures=int(found["figures"]),
            images=tuple(_pngs(found["images"], limits)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PdfUnreadable(say("pdf.unreadable", name=name), repr(exc)) from None


def _run_worker(content: bytes, name: str, limits: PdfLimits) -> dict[str, Any]:
    bounds = {
        "pages": limits.read_pages,
        "chars": limits.text_chars,
        "images": limits.images,
        "width": limits.image_width,
        "cpu_s": limits.cpu_s,
        "memory_bytes": limits.memory_bytes,
    }
    try:
        completed = subprocess.run(
            [sys.executable, "-I", str(WORKER), json.dumps(bounds)],
            input=content,
            capture_output=True,
            timeout=limits.wall_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise PdfUnreadable(say("pdf.too_heavy", name=name), "wall time") from None
    if completed.returncode != 0:
        detail = completed.stderr.decode("utf-8", "replace")[-2000:]
        heavy = completed.returncode < 0 or "MemoryError" in detail
        key = "pdf.too_heavy" if heavy else "pdf.unreadable"
        raise PdfUnreadable(say(key, name=name), detail)
    try:
        found = json.loads(completed.stdout)
    except ValueError:
        raise PdfUnreadable(say("pdf.unreadable", name=name), "no JSON") from None
    if not isinstance(found, dict):
        raise PdfUnreadable(say("pdf.unreadable", name=name), "not an object")
    return found


def _pngs(encoded: object, limits: PdfLimits) -> list[str]:
    """The worker's page images that are PNGs within the size limit (base64)."""
    listed = encoded[: limits.images] if isinstance(encoded, list) else []
    return [str(i) for i in listed if figure_png(i, limits.image_bytes) is not None]
