"""Hand-made PDFs for the tests and benchmarks of grader.pdf: written byte by byte, each says
exactly what it holds."""

from __future__ import annotations

import zlib

FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def text_stream(*lines: str) -> bytes:
    shown = b"".join(b"(" + line.encode("latin-1") + b") Tj 0 -16 Td " for line in lines)
    return b"BT /F1 12 Tf 72 760 Td " + shown + b"ET"


def pdf(
    contents: list[bytes], extra: bytes = b"", filters: bytes = b"", catalog: bytes = b""
) -> bytes:
    """A PDF whose pages draw `contents` (raw streams), `extra` objects appended after them."""
    count = len(contents)
    kids = b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b">>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count,
        FONT,
    ]
    for i, content in enumerate(contents):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>" % (5 + 2 * i)
        )
        objects.append(
            b"<< /Length %d " % len(content) + filters + b">>\nstream\n" + content + b"\nendstream"
        )
    if extra:
        objects.append(extra)
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def deflate_bomb(gib: int = 2) -> bytes:
    """A one-page PDF whose content stream, `gib` GiB of spaces, is deflated to a few MiB."""
    compressor = zlib.compressobj(9)
    chunk = b" " * (64 * 1024**2)
    stream = b"".join(compressor.compress(chunk) for _ in range(16 * gib)) + compressor.flush()
    return pdf([stream], filters=b"/Filter /FlateDecode ")
