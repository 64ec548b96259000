"""What reading a submission's PDF costs the grader: a report, many pages, a compression bomb.

    PYTHONPATH=. python benchmarks/bench_pdf.py [--repeat 3]

Reads the mini-projet's example reports (two pages, five pages), a PDF of 500 pages and one
whose content stream inflates to 2 GiB, each through grader.pdf.read_pdf (a child process under
rlimits), and prints the best wall time, what was found or the sentence refusing it, and the
grader process's own peak memory afterwards (VmHWM: the child's never counts).
"""

from __future__ import annotations

import argparse
import time
import zlib
from pathlib import Path

from grader.pdf import PdfUnreadable, read_pdf

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "submissions" / "mini-projet"


def minimal_pdf(contents: list[bytes], filters: bytes = b"") -> bytes:
    """A PDF whose pages draw the raw streams `contents`."""
    count = len(contents)
    kids = b" ".join(b"%d 0 R" % (3 + 2 * i) for i in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count),
    ]
    for i, content in enumerate(contents):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R >>"
            % (4 + 2 * i)
        )
        objects.append(
            b"<< /Length %d %s>>\nstream\n%s\nendstream" % (len(content), filters, content)
        )
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def bomb() -> bytes:
    compressor = zlib.compressobj(9)
    chunk = b" " * (64 * 1024**2)
    stream = b"".join(compressor.compress(chunk) for _ in range(32)) + compressor.flush()
    return minimal_pdf([stream], b"/Filter /FlateDecode ")


def peak_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    cases = {
        "2-page report": (EXAMPLES / "binome-01" / "rapport.pdf").read_bytes(),
        "5-page report": (EXAMPLES / "binome-02" / "rapport.pdf").read_bytes(),
        "500 pages": minimal_pdf([b"BT ET"] * 500),
        "2 GiB bomb": bomb(),
    }
    for name, content in cases.items():
        best, found = float("inf"), ""
        for _ in range(repeat):
            started = time.perf_counter()
            try:
                report = read_pdf(content, "rapport.pdf")
                found = f"{report.pages} pages, {len(report.images)} images"
            except PdfUnreadable as refused:
                found = str(refused)
            best = min(best, time.perf_counter() - started)
        print(f"{name:14} {len(content):>9} B  {best:6.2f} s  {found}")
    print(f"grader's peak memory: {peak_kib() // 1024} MiB")


if __name__ == "__main__":
    main()
