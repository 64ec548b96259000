"""The batch in a terminal: a progress bar with throughput and ETA, and a final table (rich),
plain lines otherwise.

On a TTY: the bar, then a table of every student. Not a TTY (CI logs, pipes): one plain line per
student as it is graded. Both end with the run's throughput. `--format json`: nothing here at all.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Column, Table
from rich.text import Text

from grader.formats import points as format_points
from grader.report.summary import memory_peaks
from grader.results import GradeReport

MiB = 1024**2


def report_line(report: GradeReport) -> str:
    status = report.execution.status.value
    failing = report.not_passed
    note = f", {failing} check(s) not passed" if failing else ""
    if in_error := len(report.check_errors):
        note += f", {in_error} check error(s) to review"
    late = f", {report.late.days_late} day(s) late" if report.late else ""
    return (
        f"  {report.student:<20} {format_points(report.score, 'en'):>6} / "
        f"{format_points(report.max_score, 'en'):<4} {status}{note}{late}"
    )


def throughput(graded: int, elapsed_s: float) -> float | None:
    """Notebooks graded per minute; None before the first one (no rate to speak of yet)."""
    if graded <= 0 or elapsed_s <= 0:
        return None
    return 60 * graded / elapsed_s


def format_throughput(per_minute: float | None) -> str:
    return "–" if per_minute is None else f"{per_minute:.1f} notebooks/min"


def format_eta(graded: int, total: int, elapsed_s: float) -> str:
    """The time left at the run's throughput so far, H:MM:SS; "–" before the first notebook.

    The whole run's mean, not rich's 30-second window: with -j N notebooks finish in bursts,
    and a window holding fewer than two of them would show no ETA at all.
    """
    per_minute = throughput(graded, elapsed_s)
    if per_minute is None:
        return "–"
    seconds = round(60 * max(total - graded, 0) / per_minute)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class ThroughputColumn(ProgressColumn):
    """Notebooks graded so far in this run over the time elapsed, per minute."""

    def __init__(self) -> None:
        # As wide as "123.4 notebooks/min" from the start: the bar does not jump at the first.
        super().__init__(table_column=Column(min_width=19, justify="right"))

    def render(self, task: Task) -> Text:
        return Text(format_throughput(throughput(int(task.completed), task.elapsed or 0.0)))


class EtaColumn(ProgressColumn):
    """The time left at the run's throughput (format_eta)."""

    def __init__(self) -> None:
        super().__init__(table_column=Column(min_width=7))

    def render(self, task: Task) -> Text:
        total = int(task.total or 0)
        return Text(format_eta(int(task.completed), total, task.elapsed or 0.0))


def peak_memory_line(reports: Sequence[GradeReport]) -> str | None:
    """The end-of-batch line on the kernels' peak memory; None when no kernel had a cgroup to
    measure it (unsandboxed)."""
    peaks = memory_peaks(reports)
    if peaks is None:
        return None
    return (
        f"kernels' peak memory: median {peaks.median_bytes / MiB:.0f} MiB, "
        f"max {peaks.max_bytes / MiB:.0f} MiB ({peaks.max_student})"
    )


class BatchProgress:
    """Listens to the batch: `graded` for each report as it arrives, `table` at the end.

    Leaving it prints the run's throughput (notebooks graded in this run, skipped unchanged ones
    aside); `clock` is the time source, monotonic seconds.
    """

    def __init__(
        self,
        total: int,
        quiet: bool = False,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream or sys.stdout
        self.quiet = quiet
        self.interactive = not quiet and self.stream.isatty()
        self.console = Console(file=self.stream, highlight=False)
        self.progress: Progress | None = None
        self.total = total
        self.task: TaskID | None = None
        self.clock = clock
        self.started = clock()
        self.graded_count = 0

    def __enter__(self) -> BatchProgress:
        self.started = self.clock()
        if self.interactive and self.total:
            self.progress = Progress(
                TextColumn("[bold]grading"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                ThroughputColumn(),
                TextColumn("ETA"),
                EtaColumn(),
                console=self.console,
                transient=True,
                get_time=self.clock,
            )
            self.progress.start()
            self.task = self.progress.add_task("grade", total=self.total)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.progress is not None:
            self.progress.stop()
        if kind is None and not self.quiet and self.graded_count:
            print(self.summary_line(), file=self.stream, flush=True)

    def summary_line(self) -> str:
        """The run's throughput: graded N notebook(s) in X s (Y notebooks/min)."""
        elapsed = self.clock() - self.started
        rate = format_throughput(throughput(self.graded_count, elapsed))
        return f"graded {self.graded_count} notebook(s) in {elapsed:.1f} s ({rate})"

    def skipped(self, count: int) -> None:
        if count and not self.quiet:
            self.console.print(
                f"grader: {count} unchanged submission(s) already graded (--force regrades them)"
            )

    def graded(self, report: GradeReport) -> None:
        if self.quiet:
            return
        self.graded_count += 1
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task)
            self.progress.refresh()  # the count and the throughput move now, not at the next tick
        else:
            print(report_line(report), file=self.stream, flush=True)

    def table(self, reports: Sequence[GradeReport]) -> None:
        """On a TTY, every current result in a table (plain lines were printed otherwise)."""
        if not self.interactive:
            return
        table = Table(title=reports[0].assignment if reports else None)
        for column, justify in (
            ("student", "left"),
            ("score", "right"),
            ("execution", "left"),
            ("not passed", "right"),
            ("late", "right"),
            ("time", "right"),
        ):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        for report in sorted(reports, key=lambda r: r.student):
            failing = report.not_passed
            table.add_row(
                report.student,
                f"{format_points(report.score, 'en')} / {format_points(report.max_score, 'en')}",
                report.execution.status.value,
                str(failing or ""),
                f"{report.late.days_late} d" if report.late else "",
                f"{report.execution.duration_s:.1f} s",
            )
        self.console.print(table)


def check_error_lines(reports: Sequence[GradeReport]) -> list[str]:
    """Each check whose own code raised, once, with its traceback and the students it hit:
    the instructor's to fix (their points are held back, not lost)."""
    students: dict[str, list[str]] = {}
    traces: dict[str, str] = {}
    for report in reports:
        for check in report.check_errors:
            students.setdefault(check.id, []).append(report.student)
            traces.setdefault(check.id, (check.detail or "").rstrip())
    if not students:
        return []
    lines = [
        f"grader: {len(students)} check(s) raised in their own code (checks.py: yours to fix; "
        "the students lose nothing, those points are held back until you grade again):"
    ]
    for check_id, names in students.items():
        lines.append(f"  {check_id}: {len(names)} student(s): {', '.join(sorted(names))}")
        lines.extend(f"    {line}" for line in traces[check_id].splitlines())
    return lines
