"""Time to store, re-render and export a class of graded results, no kernel involved.

Records N results in a real SQLite gradebook (one transaction each, synchronous=FULL, as a
batch does), then runs what `grader report` does: every report, the class summary and every
export, from the stored results. Prints the figures; asserts nothing.

    PYTHONPATH=. python benchmarks/bench_gradebook.py [--students 200]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.recorded_class import recorded_class
from grader.graded_folder import rerender


def main() -> None:
    with recorded_class() as recorded:
        out, count = recorded.folder, len(recorded.students)
        started = time.perf_counter()
        rerender(out, "fr", out / "junit.xml")
        rendered = time.perf_counter() - started
        size = sum(p.stat().st_size for p in (out / "reports").iterdir()) / count
    print(f"students: {count}")
    each = 1000 * recorded.seconds / count
    print(f"store, one transaction each: {recorded.seconds:.2f} s ({each:.1f} ms each)")
    print(f"grader report (reports, summary, every export): {rendered:.2f} s")
    print(f"mean report size: {size / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
