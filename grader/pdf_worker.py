"""Reads one PDF in a process of its own: grader.pdf runs this file under rlimits.

It imports no grader module (it runs as `python -I pdf_worker.py`), reads the PDF's bytes on
stdin and a JSON of bounds as its argument, and prints one JSON object: the page count, the text
of the first pages, the figures counted on them, and small PNGs of the first pages. Whatever the
PDF does to pypdf or pdfium here (a stream that inflates to gigabytes, a page tree that loops, a
crash in C) ends this process at its CPU or memory limit, never the grader.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import resource
import sys
from typing import Any

FIGURE_SUBTYPES = ("/Image", "/Form")


def main() -> None:
    bounds = json.loads(sys.argv[1])
    limit(bounds["cpu_s"], bounds["memory_bytes"])
    logging.disable(logging.CRITICAL)  # a damaged PDF's warnings: thousands of lines, unread
    content = sys.stdin.buffer.read()
    print(json.dumps(read(content, bounds)))


def limit(cpu_s: int, memory_bytes: int) -> None:
    """This process's limits, set before any PDF library is imported: CPU seconds, address
    space, and no file written (a core dump included)."""
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def read(content: bytes, bounds: dict[str, int]) -> dict[str, Any]:
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(content), strict=False)
    if reader.is_encrypted:
        return {"encrypted": True}
    pages = len(reader.pages)
    read_pages = min(pages, bounds["pages"])
    texts, figures = [], 0
    chars = 0
    for number in range(read_pages):
        page = reader.pages[number]
        figures += _figures(page)
        if chars < bounds["chars"]:
            text = page.extract_text()[: bounds["chars"] - chars]
            chars += len(text)
            texts.append(text)
    return {
        "pages": pages,
        "text": "\n".join(texts),
        "figures": figures,
        "images": _thumbnails(content, min(pages, bounds["images"]), bounds["width"]),
    }


def _figures(page: Any) -> int:
    """Images and embedded drawings the page's resources name (not decoded: only counted)."""
    resources = page.get("/Resources")
    objects = resources.get_object().get("/XObject") if resources is not None else None
    if objects is None:
        return 0
    return sum(
        1
        for reference in objects.get_object().values()
        if reference.get_object().get("/Subtype") in FIGURE_SUBTYPES
    )


def _thumbnails(content: bytes, count: int, width: int) -> list[str]:
    import pypdfium2

    document = pypdfium2.PdfDocument(content)
    images = []
    try:
        for number in range(count):
            page = document[number]
            # as wide as `width`, or as high as 1.5 times that for a page taller than A4
            scale = width / max(page.get_width(), page.get_height() / 1.5, 1.0)
            bitmap = page.render(scale=scale, grayscale=True)
            buffer = io.BytesIO()
            bitmap.to_pil().save(buffer, format="PNG", optimize=True)
            images.append(base64.b64encode(buffer.getvalue()).decode())
    finally:
        document.close()
    return images


if __name__ == "__main__":
    main()
