"""The batch's progress on a terminal and in logs: throughput, its final line, the kernels' peak
memory in the CLI's last lines and in the class summary. Real rich consoles, real reports."""

from __future__ import annotations

import html
import io
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from grader.gradebook.store import Gradebook
from grader.report.summary import memory_peaks, render_summary
from grader.report.terminal import (
    BatchProgress,
    format_eta,
    format_throughput,
    peak_memory_line,
    throughput,
)
from grader.results import GradeReport, report_from_dict, report_to_dict
from tests.report_builders import make_report

MiB = 1024**2
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Terminal(io.StringIO):
    """What rich writes to an instructor's terminal, kept to be read back."""

    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def with_peak(student: str, peak_mib: float | None) -> GradeReport:
    report = make_report(student)
    peak = None if peak_mib is None else int(peak_mib * MiB)
    return replace(report, execution=replace(report.execution, peak_memory_bytes=peak))


@pytest.mark.parametrize(
    ("graded", "elapsed_s", "per_minute", "shown"),
    [
        (0, 12.0, None, "–"),
        (1, 0.0, None, "–"),
        (1, 20.0, 3.0, "3.0 notebooks/min"),
        (2, 30.0, 4.0, "4.0 notebooks/min"),
        (300, 1440.0, 12.5, "12.5 notebooks/min"),
    ],
)
def test_throughput_counts_notebooks_per_minute(
    graded: int, elapsed_s: float, per_minute: float | None, shown: str
) -> None:
    assert throughput(graded, elapsed_s) == per_minute
    assert format_throughput(per_minute) == shown


@pytest.mark.parametrize(
    ("graded", "total", "elapsed_s", "eta"),
    [
        (0, 10, 30.0, "–"),
        (1, 3, 20.0, "0:00:40"),
        (2, 3, 30.0, "0:00:15"),
        (3, 3, 45.0, "0:00:00"),
        (10, 300, 50.0, "0:24:10"),
        (1, 300, 60.0, "4:59:00"),
    ],
)
def test_eta_is_the_time_left_at_the_run_throughput(
    graded: int, total: int, elapsed_s: float, eta: str
) -> None:
    assert format_eta(graded, total, elapsed_s) == eta


def test_the_bar_on_a_terminal_shows_the_throughput_then_a_final_line() -> None:
    terminal, clock = Terminal(), Clock()
    with BatchProgress(3, stream=terminal, clock=clock) as progress:
        progress.progress.refresh()  # type: ignore[union-attr]
        before = ANSI.sub("", terminal.getvalue())
        clock.now += 20
        progress.graded(make_report("alice"))
        after_one = ANSI.sub("", terminal.getvalue())
        clock.now += 10
        progress.graded(make_report("bob"))
    shown = ANSI.sub("", terminal.getvalue())
    assert "0/3" in before and "– ETA –" in before and "notebooks/min" not in before
    assert "1/3" in after_one and "3.0 notebooks/min ETA 0:00:40" in after_one
    assert "2/3" in shown and "4.0 notebooks/min ETA 0:00:15" in shown
    assert shown.rstrip().endswith("graded 2 notebook(s) in 30.0 s (4.0 notebooks/min)")


def test_plain_lines_end_with_the_throughput_and_skipped_submissions_do_not_count() -> None:
    log, clock = io.StringIO(), Clock()
    with BatchProgress(2, stream=log, clock=clock) as progress:
        progress.skipped(5)
        for student in ("alice", "bob"):
            clock.now += 15
            progress.graded(make_report(student))
    lines = log.getvalue().splitlines()
    assert lines[0].startswith("grader: 5 unchanged submission(s) already graded")
    assert [line.split()[0] for line in lines[1:3]] == ["alice", "bob"]
    assert lines[3:] == ["graded 2 notebook(s) in 30.0 s (4.0 notebooks/min)"]
    assert not ANSI.search(log.getvalue())


def test_nothing_graded_prints_no_throughput_and_json_output_prints_nothing() -> None:
    log = io.StringIO()
    with BatchProgress(0, stream=log) as progress:
        progress.skipped(3)
    assert "notebooks/min" not in log.getvalue() and "unchanged" in log.getvalue()

    silent = Terminal()
    with BatchProgress(2, quiet=True, stream=silent) as progress:
        progress.skipped(1)
        progress.graded(make_report("alice"))
    progress.table([make_report("alice")])
    assert silent.getvalue() == ""


@pytest.mark.parametrize(
    ("peaks_mib", "line"),
    [
        ({"alice": 100, "bob": 300, "carol": 200}, "median 200 MiB, max 300 MiB (bob)"),
        ({"alice": 100, "bob": None, "carol": 150}, "median 125 MiB, max 150 MiB (carol)"),
        ({"alice": 612.4}, "median 612 MiB, max 612 MiB (alice)"),
        ({"alice": None, "bob": None}, None),
        ({}, None),
    ],
)
def test_peak_memory_line_over_the_measured_kernels(
    peaks_mib: dict[str, float | None], line: str | None
) -> None:
    reports = [with_peak(student, peak) for student, peak in peaks_mib.items()]
    got = peak_memory_line(reports)
    assert got == (None if line is None else f"kernels' peak memory: {line}")


def test_peak_memory_survives_json_and_the_gradebook_and_old_results_load_as_unknown(
    tmp_path: Path,
) -> None:
    report = with_peak("alice", 257)
    data = json.loads(json.dumps(report_to_dict(report)))
    assert data["schema_version"] == 1
    assert data["execution"]["peak_memory_bytes"] == 257 * MiB
    assert report_from_dict(data) == report

    del data["execution"]["peak_memory_bytes"]  # a result written before the measure
    assert report_from_dict(data).execution.peak_memory_bytes is None

    book = Gradebook(tmp_path / "gradebook.sqlite")
    run = book.start_run("tp-mini", 7, "bwrap")
    book.record(run, report)
    book.record(run, with_peak("bob", None))
    book.close()
    stored = {r.student: r for r in Gradebook(tmp_path / "gradebook.sqlite").latest("tp-mini")}
    assert stored["alice"].execution.peak_memory_bytes == 257 * MiB
    assert stored["bob"].execution.peak_memory_bytes is None


def test_class_summary_lists_peak_memory_beside_the_slowest_durations() -> None:
    reports = [with_peak("alice", 120), with_peak("bob", 480), with_peak("carol", None)]
    reports[1] = replace(reports[1], execution=replace(reports[1].execution, duration_s=9.5))
    peaks = memory_peaks(reports)
    assert peaks is not None and (peaks.max_student, peaks.measured) == ("bob", 2)

    page = html.unescape(render_summary(reports, "tp-mini", "TP mini"))
    slowest = page[page.index("Notebooks les plus lents") :]
    assert (
        "Mémoire maximale d'un noyau : médiane 300 Mio, maximum 480 Mio (bob), "
        "sur 2 notebook(s) mesuré(s)." in slowest
    )
    bob_row = slowest[slowest.index(">bob</a>") : slowest.index("</tr>", slowest.index(">bob</a>"))]
    assert "9,5 s" in bob_row and "480 Mio" in bob_row
    assert "Mémoire maximale" in slowest[: slowest.index("<tbody>")]  # the column's header

    english = html.unescape(render_summary(reports, "tp-mini", "TP mini", lang="en"))
    assert "Kernels' peak memory: median 300 MiB, max 480 MiB (bob)" in english


def test_unsandboxed_summary_says_nothing_of_memory() -> None:
    page = render_summary([with_peak("alice", None)], "tp-mini", "TP mini")
    assert "Mémoire maximale" not in page and "Mio" not in page
