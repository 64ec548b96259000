"""Time to store, re-render and export a class of graded results, no kernel involved.

Records N results in a real SQLite gradebook (one transaction each, synchronous=FULL, as a
batch does), then runs what `grader report` does: every report, the class summary and every
export, from the stored results. Prints the figures; asserts nothing.

    PYTHONPATH=. python benchmarks/bench_gradebook.py [--students 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.graded_folder import rerender
from tests.report_builders import record_class


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        started = time.perf_counter()
        record_class(out / "gradebook.sqlite", args.students)
        stored = time.perf_counter() - started
        started = time.perf_counter()
        rerender(out, "fr", out / "junit.xml")
        rendered = time.perf_counter() - started
        size = sum(p.stat().st_size for p in (out / "reports").iterdir()) / args.students
    print(f"students: {args.students}")
    each = 1000 * stored / args.students
    print(f"store, one transaction each: {stored:.2f} s ({each:.1f} ms each)")
    print(f"grader report (reports, summary, every export): {rendered:.2f} s")
    print(f"mean report size: {size / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
