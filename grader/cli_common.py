"""What every `grader` command shares: exit codes, the error funnel, the --format option."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from enum import IntEnum
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from grader.errors import GraderError


class Exit(IntEnum):
    OK = 0  # every check passed
    CHECKS_FAILED = 1  # some check failed or errored
    USAGE = 2  # usage or configuration error: the message names file, line and field
    BUG = 3  # a bug in grader: traceback plus "this is a bug"
    # A check's own code raised (checks.py, the instructor's): results are stored, the students
    # lose nothing (those points are held back), the tracebacks are listed; fix and grade again.
    CHECK_ERROR = 4
    INTERRUPTED = 130  # Ctrl-C, as a shell reports SIGINT: neither a verdict nor an error


F = TypeVar("F", bound=Callable[..., Any])

EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)

FORMAT = click.option(
    "--format",
    "output_format",
    type=click.Choice(["terminal", "json"]),
    default="terminal",
    show_default=True,
    help="Output for people or programs.",
)


def errors_to_exit_codes(command: F) -> F:
    """One error funnel: a user's mistake is one clear line (exit 2), a bug a traceback (exit 3)."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except GraderError as error:
            click.echo(f"grader: {error}", err=True)
            sys.exit(Exit.USAGE)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("grader: interrupted; a batch keeps every result it stored", err=True)
            sys.exit(Exit.INTERRUPTED)
        except Exception:
            click.echo(traceback.format_exc(), err=True)
            click.echo(
                "grader: this is a bug in grader; please report it with the traceback above.",
                err=True,
            )
            sys.exit(Exit.BUG)

    return run  # type: ignore[return-value]


def verdict(all_passed: bool, check_errors: bool) -> Exit:
    """The exit code of a graded run: a check's own error first (the instructor has to act),
    then the students' failures."""
    if check_errors:
        return Exit.CHECK_ERROR
    return Exit.OK if all_passed else Exit.CHECKS_FAILED
