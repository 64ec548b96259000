"""What a check author writes in assignments/<id>/checks.py: `@check` and `CheckFailed`.

    @check("sdpa.matches_reference", hidden=True)
    def sdpa_matches_reference(nb, rng):
        q, k, v = rng.standard_normal((3, 2, 4, 5, 8))
        got = nb.call("scaled_dot_product_attention", q, k, v)
        expect.close(got[0], attention.scaled_dot_product_attention(q, k, v)[0], what="sortie")

A check returns normally when the answer is right; it raises CheckFailed (usually through
`expect`) when it is wrong. Probe errors (missing function, exception in the student's code,
dead kernel) make the outcome `error`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from grader.results import Section

CheckFunction = Callable[[Any, Any], Section | None]
F = TypeVar("F", bound=CheckFunction)

MARK = "__grader_check__"


class CheckFailed(Exception):
    """The answer is wrong.

    `redacted` is what a student sees on a hidden check: the message without expected values.
    `section` (e.g. grader.report.sections.array_comparison) is drawn in the student's report,
    except on a hidden check.
    """

    def __init__(
        self,
        message: str,
        redacted: str | None = None,
        detail: str | None = None,
        section: Section | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.redacted = redacted if redacted is not None else message
        self.detail = detail
        self.section = section


def check(check_id: str, *, hidden: bool = False) -> Callable[[F], F]:
    """Declare a check; `hidden` checks never reach students (released bundles, self-checks)."""

    def mark(function: F) -> F:
        setattr(function, MARK, (check_id, hidden))
        return function

    return mark
