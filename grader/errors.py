"""Errors a user can fix: each names the file, the line and the field, and what to try.

A student's mistake is never an exception (it is a failed or error CheckResult); a bug is any
other exception, which the CLI reports as a bug.
"""

from __future__ import annotations

import os
from pathlib import Path


class GraderError(Exception):
    """A user's mistake: bad configuration, a missing file, an unusable sandbox."""


class ConfigError(GraderError):
    """A file the user wrote (YAML, checks.py, notebook) is invalid."""

    def __init__(
        self, path: str | Path, message: str, line: int | None = None, field: str | None = None
    ) -> None:
        self.path = Path(path)
        self.line = line
        self.field = field
        self.reason = message
        location = display_path(self.path) + (f":{line}" if line is not None else "")
        where = f"{field}: " if field else ""
        super().__init__(f"{location}: {where}{message}")


class SandboxUnavailable(GraderError):
    """The requested isolation backend cannot run on this machine."""


def display_path(path: str | Path) -> str:
    """A path as the user would type it: relative to the working directory when below it."""
    path = Path(os.path.normpath(path))
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return relative if not relative.startswith("..") else str(path)
