"""Carry-forward (« l'erreur reportée n'est pénalisée qu'une fois »).

A check declares the student functions its probes go through (`@check(..., uses={name:
stand_in})`). A function is *wrong* when a check that calls it directly (`nb.call(name)`), and
does not declare it in its own `uses`, failed or errored. Each downstream check that then failed
is run once more with the same inputs and the student's function replaced by its stand-in; if
it passes, the result keeps the student's own outcome and records `carried_from`: the rubric
decides whether that counts as passed (grader/scoring/score.py), so a rubric change only
rescores.

Why the stand-in may enter the student's kernel (design.md §2): what must never enter it is
hidden — hidden checks, expected values, the run's seed. A stand-in is none of these: it is a
public reference implementation of a course function (the same code is in grader/references/,
released with the grader), and the re-run's inputs are those the check already sent. The
student's `nn.Module` calls its function from inside the kernel, so the replacement can only
happen there; the values still come back as data and are judged in the grader's process. A
notebook that tampers with the stand-in only changes the values it returns, which are judged.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.errors import ConfigError
from grader.results import CheckResult, Outcome

if TYPE_CHECKING:
    from grader.checks.probe import Notebook
    from grader.checks.runner import Check

WRONG = (Outcome.FAILED, Outcome.ERROR)  # the student's answer, not the check, is at fault


@dataclass(frozen=True)
class StandIn:
    """The reference that replaces student function `name` in the kernel for a re-run."""

    name: str  # the student's function
    source: str  # a self-contained definition of `function`
    function: str  # the name that source defines


def stand_ins(uses: Mapping[str, Callable[..., Any]], path: Path, line: int) -> tuple[StandIn, ...]:
    """The `uses=` of a check, each stand-in read as source; a ConfigError naming the check's
    line when one has no source (a builtin, a lambda of a larger line) or is no function."""
    found = []
    for name, function in uses.items():
        if not inspect.isfunction(function) or function.__name__ == "<lambda>":
            raise ConfigError(path, f"uses: '{name}': the stand-in must be a def", line=line)
        try:
            source = textwrap.dedent(inspect.getsource(function))
        except (OSError, TypeError):
            raise ConfigError(
                path, f"uses: '{name}': the stand-in's source cannot be read", line=line
            ) from None
        # Annotations stay unevaluated: the kernel has none of the names they use.
        source = f"from __future__ import annotations\n{source}"
        found.append(StandIn(name, source, function.__name__))
    return tuple(found)


def carry_forward(
    checks: Sequence[Check],
    results: list[CheckResult],
    called: Mapping[str, set[str]],
    nb: Notebook,
    rerun: Callable[[Check], CheckResult],
) -> list[CheckResult]:
    """`results` with `carried_from` set on each downstream check that passes once its wrong
    upstream functions are replaced by their stand-ins; `called`: check id -> the student
    functions it called."""
    wrong = {
        name
        for check, result in zip(checks, results, strict=True)
        if result.outcome in WRONG
        for name in called.get(check.id, set()) - {stand_in.name for stand_in in check.uses}
    }
    carried = []
    for check, result in zip(checks, results, strict=True):
        replaced = [stand_in for stand_in in check.uses if stand_in.name in wrong]
        if result.outcome in WRONG and replaced and nb.alive:
            with nb.standing_in(replaced):
                again = rerun(check)
            if again.outcome is Outcome.PASSED:
                result = replace(result, carried_from=", ".join(s.name for s in replaced))
        carried.append(result)
    return carried
