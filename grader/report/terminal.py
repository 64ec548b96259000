"""The batch in a terminal: a progress bar with ETA and a final table (rich), plain lines otherwise.

On a TTY: the bar, then a table of every student. Not a TTY (CI logs, pipes): one plain line per
student as it is graded. `--format json`: nothing here at all.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from grader.report.i18n import format_points
from grader.results import GradeReport, Outcome


def report_line(report: GradeReport) -> str:
    status = report.execution.status.value
    failing = sum(c.outcome in (Outcome.FAILED, Outcome.ERROR) for c in report.checks)
    note = f", {failing} check(s) not passed" if failing else ""
    late = f", {report.late.days_late} day(s) late" if report.late else ""
    return (
        f"  {report.student:<20} {format_points(report.score):>6} / "
        f"{format_points(report.max_score):<4} {status}{note}{late}"
    )


class BatchProgress:
    """Listens to the batch: `graded` for each report as it arrives, `table` at the end."""

    def __init__(self, total: int, quiet: bool = False, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.quiet = quiet
        self.interactive = not quiet and self.stream.isatty()
        self.console = Console(file=self.stream, highlight=False)
        self.progress: Progress | None = None
        self.total = total
        self.task: TaskID | None = None

    def __enter__(self) -> BatchProgress:
        if self.interactive and self.total:
            self.progress = Progress(
                TextColumn("[bold]grading"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=self.console,
                transient=True,
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

    def skipped(self, count: int) -> None:
        if count and not self.quiet:
            self.console.print(
                f"grader: {count} unchanged submission(s) already graded (--force regrades them)"
            )

    def graded(self, report: GradeReport) -> None:
        if self.quiet:
            return
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task)
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
            failing = sum(c.outcome in (Outcome.FAILED, Outcome.ERROR) for c in report.checks)
            table.add_row(
                report.student,
                f"{format_points(report.score)} / {format_points(report.max_score)}",
                report.execution.status.value,
                str(failing or ""),
                f"{report.late.days_late} d" if report.late else "",
                f"{report.execution.duration_s:.1f} s",
            )
        self.console.print(table)
