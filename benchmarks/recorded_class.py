"""The class the gradebook's benchmarks start from: N results of tp-mini recorded in a real
SQLite gradebook, as a batch records them (one transaction each), in a temporary graded folder.
N is the command line's `--students` (200 by default)."""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from grader.gradebook.store import Gradebook
from tests.report_builders import make_report


@dataclass(frozen=True)
class RecordedClass:
    folder: Path  # the graded folder: gradebook.sqlite, and what is rendered from it
    students: list[str]  # s0000 onwards
    seconds: float  # recording them


@contextmanager
def recorded_class() -> Iterator[RecordedClass]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=200)
    students = [f"s{number:04d}" for number in range(parser.parse_args().students)]
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        gradebook = Gradebook(Path(folder) / "gradebook.sqlite")
        run = gradebook.start_run("tp-mini", 1, "none", "TP mini")
        for number, student in enumerate(students):
            report = make_report(student, score_shift=number % 5)
            gradebook.record(run, replace(report, submission_hash=f"{number:064x}"))
        gradebook.close()
        yield RecordedClass(Path(folder), students, time.perf_counter() - started)
