"""The distribution grader is installed as, its version, and what to install for an extra.

The import package and the command are `grader`, but PyPI's `grader` is an unrelated project:
grader is published as llm-course-grader. Commands that only instructors use need an extra
(README, « Installation »); without it they say which one instead of an ImportError.
"""

from __future__ import annotations

import importlib.metadata

from grader.errors import GraderError

DISTRIBUTION = "llm-course-grader"


def version() -> str:
    """The installed version, whatever name an older install of this package was made under."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        pass
    try:  # an editable install made before the rename is still registered as `grader`
        return importlib.metadata.version("grader")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def missing_extra(exc: ImportError, extra: str, feature: str) -> GraderError:
    """The error for a `feature` whose extra is not installed."""
    return GraderError(
        f"{feature} needs the '{extra}' extra ({exc.name or exc} is missing): "
        f"pip install '{DISTRIBUTION}[{extra}]'"
    )
