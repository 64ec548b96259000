"""Checks: what check authors import (`check`, `expect`, `reference`), the probe channel and
the runner."""

from grader.checks import expect
from grader.checks.api import CheckFailed, check
from grader.checks.reference import reference
from grader.results import Section

__all__ = ["CheckFailed", "Section", "check", "expect", "reference"]
