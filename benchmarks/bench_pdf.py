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
from pathlib import Path

from grader.pdf import PdfUnreadable, read_pdf
from tests.pdfs import deflate_bomb, pdf

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "submissions" / "mini-projet"


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
        "500 pages": pdf([b"BT ET"] * 500),
        "2 GiB bomb": deflate_bomb(),
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
