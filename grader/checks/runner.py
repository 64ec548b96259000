"""Load an assignment's checks.py and run its checks, turning every exception into data."""

from __future__ import annotations

import ast
import importlib.util
import inspect
import sys
import time
import traceback
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from grader.checks.api import MARK, CheckFailed, CheckFunction, CheckMark, NotApplicable
from grader.checks.carry import StandIn, carry_forward, stand_ins
from grader.checks.probe import KernelUnavailable, Notebook, ProbeError
from grader.errors import ConfigError
from grader.messages import Message, say
from grader.results import (
    CheckResult,
    ExecutionRecord,
    ExecutionStatus,
    Outcome,
    Phase,
    Section,
    message_fields,
)


@dataclass(frozen=True)
class Check:
    id: str
    hidden: bool
    function: CheckFunction
    line: int  # where it is defined in checks.py, for error messages
    name: str  # the module-level name checks.py binds it to
    uses: tuple[StandIn, ...] = ()  # student functions its probes go through (carry-forward)


def load_checks(path: Path) -> list[Check]:
    """Import checks.py (trusted, the instructor's code) and list its checks in file order."""
    name = f"grader_checks_{zlib.crc32(str(path.resolve()).encode()):08x}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(path, "cannot be imported as a Python file")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except FileNotFoundError:
        raise ConfigError(path, "file not found") from None
    except SyntaxError as exc:
        raise ConfigError(path, f"syntax error: {exc.msg}", line=exc.lineno) from None
    except Exception as exc:
        line = traceback.extract_tb(exc.__traceback__)[-1].lineno
        raise ConfigError(path, f"{type(exc).__name__} while importing: {exc}", line=line) from None
    finally:
        sys.modules.pop(name, None)
    checks: list[Check] = []
    seen: dict[str, int] = {}
    bound = _binding_lines(path)
    for module_name, function in vars(module).items():
        mark = getattr(function, MARK, None)
        if not isinstance(mark, CheckMark) or not callable(function):
            continue
        line = bound.get(module_name) or inspect.getsourcelines(function)[1]
        if mark.check_id in seen:
            raise ConfigError(
                path,
                f"check '{mark.check_id}' is defined twice (also line {seen[mark.check_id]})",
                line=line,
            )
        seen[mark.check_id] = line
        uses = stand_ins(mark.uses, path, line)
        checks.append(Check(mark.check_id, mark.hidden, function, line, module_name, uses))
    if not checks:
        raise ConfigError(path, "defines no check (decorate functions with @check)")
    return sorted(checks, key=lambda c: c.line)


def _binding_lines(path: Path) -> dict[str, int]:
    """The line of each top-level `name = ...` that is the only top-level binding of its name:
    where a check a function returns is defined (`introduction = section_check(...)`). A name
    also bound otherwise (a `def`, in a loop, an `if`) is left out: its check keeps the line of
    its `def`, and release refuses a check it cannot place."""
    assigned: dict[str, int] = {}
    elsewhere: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8"), str(path)).body:
        match node:
            case ast.Assign(targets=[ast.Name(id=name)]) if name not in assigned:
                assigned[name] = node.lineno
            case _:
                elsewhere.update(_names_bound_in(node))
    return {name: line for name, line in assigned.items() if name not in elsewhere}


def _names_bound_in(node: ast.AST) -> Iterator[str]:
    """Every name a statement may bind, its nested code included (more than it binds at module
    level: a name wrongly listed only keeps a check at its `def`'s line)."""
    for inner in ast.walk(node):
        match inner:
            case ast.Name(ctx=ast.Store() | ast.Del()):
                yield inner.id
            case ast.FunctionDef() | ast.AsyncFunctionDef() | ast.ClassDef():
                yield inner.name
            case ast.alias():
                yield (inner.asname or inner.name).split(".")[0]


def check_rng(seed: int, check_id: str, student: str) -> np.random.Generator:
    """Inputs for one check: from the run's secret seed, distinct per check and per student."""
    return np.random.default_rng(
        [seed, zlib.crc32(check_id.encode()), zlib.crc32(student.encode())]
    )


PUBLIC_SEED = 0


def inputs_rng(check: Check, seed: int, student: str) -> np.random.Generator:
    """A hidden check's inputs are secret (`check_rng`); a public check's are the same for every
    run and student: its code is in the student's hands anyway, and so `grader grade`, `grader
    check` and the in-notebook `verifier()` say the same thing of the same answer."""
    if check.hidden:
        return check_rng(seed, check.id, student)
    return check_rng(PUBLIC_SEED, check.id, "")


def run_checks(
    checks: list[Check],
    nb: Notebook | None,
    execution: ExecutionRecord,
    seed: int,
    student: str,
    public_only: bool = False,
) -> list[CheckResult]:
    results: list[CheckResult] = []
    called: dict[str, set[str]] = {}
    for check in checks:
        if public_only and check.hidden:
            results.append(
                CheckResult(
                    check.id,
                    Outcome.SKIPPED,
                    Phase.CHECK,
                    hidden=True,
                    **message_fields(say("check.hidden_skipped")),
                )
            )
        elif nb is None:
            results.append(_not_run(check, execution))
        else:
            results.append(run_check(check, nb, inputs_rng(check, seed, student)))
            called[check.id] = set(nb.called)
    if nb is None:
        return results
    probe = nb

    def rerun(check: Check) -> CheckResult:
        return run_check(check, probe, inputs_rng(check, seed, student))

    return carry_forward(checks, results, called, probe, rerun)


def run_check(check: Check, nb: Notebook, rng: np.random.Generator) -> CheckResult:
    started = time.monotonic()

    def result(
        outcome: Outcome,
        message: str | Message | None,
        detail: str | None = None,
        phase: Phase = Phase.CHECK,
    ) -> CheckResult:
        duration = round(time.monotonic() - started, 3)
        return CheckResult(
            check.id,
            outcome,
            phase,
            hidden=check.hidden,
            detail=detail,
            duration_s=duration,
            **_fields(message),
        )

    if nb is not None:
        nb.called.clear()  # the student functions this check calls: its upstream (carry.py)
    try:
        produced = check.function(nb, rng)
    except CheckFailed as failure:
        failed = result(
            Outcome.FAILED, failure.said or failure.message, failure.detail or failure.message
        )
        return _as_shown(check, failed, failure.section, failure.redacted_said or failure.redacted)
    except NotApplicable as skipped:
        return result(Outcome.SKIPPED, str(skipped))
    except KernelUnavailable as problem:
        return result(Outcome.ERROR, problem.said or problem.message, problem.detail, Phase.EXECUTE)
    except ProbeError as problem:
        return result(Outcome.ERROR, problem.said or problem.message, problem.detail)
    except MemoryError:  # the grader worker's memory limit: an answer past the probe's bounds
        return result(Outcome.ERROR, say("check.out_of_memory"), traceback.format_exc(limit=-6))
    except Exception:  # the check's own code raised: the instructor's bug, not the student's
        return result(Outcome.CHECK_ERROR, say("check.check_error"), traceback.format_exc(limit=-8))
    passed = result(Outcome.PASSED, say("check.passed"))
    return _as_shown(check, passed, produced if isinstance(produced, Section) else None)


# The section kinds that draw the student's own material only (a prompt benchmark's outputs,
# their text): the only ones a hidden check may show. A new kind may draw the reference's values
# (as array, attention and tokens do) until it is listed here.
OWN_MATERIAL_KINDS = frozenset({"bench", "student-text", "figure"})


def _fields(message: str | Message | None) -> dict[str, Any]:
    """A result's message fields: a check author's text as written, the grader's as data."""
    if isinstance(message, Message):
        return message_fields(message)
    return {"message": message or "", "message_key": None, "message_params": None}


def _as_shown(
    check: Check,
    result: CheckResult,
    section: Section | None,
    redacted: str | Message | None = None,
) -> CheckResult:
    """What a student sees of a check, decided here only (reports, exports and the CLI show the
    result as it is). Of a hidden check: the redacted message, and a section only when the
    check passed and the section draws no reference value (a prompt benchmark's table of the
    student's own outputs, yes; an expected-vs-got window, never)."""
    if check.hidden:
        result = result if redacted is None else replace(result, **_fields(redacted))
        if result.outcome is not Outcome.PASSED or (
            section and section.kind not in OWN_MATERIAL_KINDS
        ):
            return result
    if section is None:
        return result
    return replace(
        result, section={"kind": section.kind, "title": section.title, "data": section.data}
    )


def _not_run(check: Check, execution: ExecutionRecord) -> CheckResult:
    if execution.status is ExecutionStatus.STARTUP_FAILED:
        fields = message_fields(say("check.not_executed"))
        phase = Phase.EXECUTE
    elif execution.message:  # why the notebook could not be loaded
        fields = {
            "message": execution.message,
            "message_key": execution.message_key,
            "message_params": execution.message_params,
        }
        phase = Phase.LOAD
    else:
        fields = message_fields(say("check.not_loaded"))
        phase = Phase.LOAD
    return CheckResult(check.id, Outcome.ERROR, phase, hidden=check.hidden, **fields)
