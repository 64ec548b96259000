"""Checks: what check authors import (`check`, `expect`), the probe channel and the runner."""

from grader.checks import expect
from grader.checks.api import CheckFailed, Section, check

__all__ = ["CheckFailed", "Section", "check", "expect"]
