"""What a check author writes in assignments/<id>/checks.py: `@check` and `CheckFailed`.

    @check("sdpa.matches_reference", hidden=True)
    def sdpa_matches_reference(nb, rng):
        q, k, v = rng.standard_normal((3, 2, 4, 5, 8))
        got = nb.call("scaled_dot_product_attention", q, k, v)
        expect.close(got[0], attention.scaled_dot_product_attention(q, k, v)[0], what="sortie")

A check returns normally when the answer is right; it raises CheckFailed (usually through
`expect`) when it is wrong. Probe errors (missing function, exception in the student's code,
dead kernel) make the outcome `error`; any other exception is the check's own bug, outcome
`check-error`, which costs the student nothing.

Carry-forward (« erreur reportée »): a check whose probes go through a student function that
other checks judge declares it, with the stand-in that replaces it when those checks fail:

    @check("mha.exemple", uses={"scaled_dot_product_attention": attention_stand_in})

The stand-in is a self-contained function (its imports inside it) whose source is run in the
student's kernel: see grader/checks/carry.py for why that is safe.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from grader.messages import Message
from grader.results import Section

CheckFunction = Callable[[Any, Any], Section | None]
F = TypeVar("F", bound=CheckFunction)

MARK = "__grader_check__"


class CheckFailed(Exception):
    """The answer is wrong.

    `redacted` is what a student sees on a hidden check: the message without expected values.
    `section` (e.g. grader.report.sections.array_comparison) is drawn in the student's report,
    except on a hidden check. A check author writes the message as text, shown as written;
    grader.checks.expect gives a grader.messages.Message, shown in the report's language.
    """

    def __init__(
        self,
        message: str | Message,
        redacted: str | Message | None = None,
        detail: str | None = None,
        section: Section | None = None,
    ):
        shown = redacted if redacted is not None else message
        super().__init__(_french(message))
        self.message = _french(message)
        self.said = message if isinstance(message, Message) else None
        self.redacted = _french(shown)
        self.redacted_said = shown if isinstance(shown, Message) else None
        self.detail = detail
        self.section = section


def _french(message: str | Message) -> str:
    return message.text("fr") if isinstance(message, Message) else message


@dataclass(frozen=True)
class CheckMark:
    """What `@check` records on a check function."""

    check_id: str
    hidden: bool
    uses: Mapping[str, Callable[..., Any]]  # student function -> its stand-in (carry-forward)


def check(
    check_id: str, *, hidden: bool = False, uses: Mapping[str, Callable[..., Any]] | None = None
) -> Callable[[F], F]:
    """Declare a check; `hidden` checks never reach students (released bundles, self-checks);
    `uses` names the student functions its probes go through, each with its stand-in."""

    def mark(function: F) -> F:
        setattr(function, MARK, CheckMark(check_id, hidden, dict(uses or {})))
        return function

    return mark
