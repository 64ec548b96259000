"""Checks: what check authors import (`check`, `expect`, `reference`), the probe channel and
the runner."""

from grader.checks import expect
from grader.checks.api import CheckFailed, Section, check
from grader.checks.reference import reference

__all__ = ["CheckFailed", "Section", "check", "expect", "reference"]
