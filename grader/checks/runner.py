"""Load an assignment's checks.py and run its checks, turning every exception into data."""

from __future__ import annotations

import importlib.util
import inspect
import sys
import time
import traceback
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from grader.checks.api import MARK, CheckFailed, CheckFunction, CheckMark, Section
from grader.checks.carry import StandIn, carry_forward, stand_ins
from grader.checks.probe import KernelUnavailable, Notebook, ProbeError
from grader.errors import ConfigError
from grader.results import CheckResult, ExecutionRecord, ExecutionStatus, Outcome, Phase


@dataclass(frozen=True)
class Check:
    id: str
    hidden: bool
    function: CheckFunction
    line: int  # where it is defined in checks.py, for error messages
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
    for function in vars(module).values():
        mark = getattr(function, MARK, None)
        if not isinstance(mark, CheckMark) or not callable(function):
            continue
        line = inspect.getsourcelines(function)[1]
        if mark.check_id in seen:
            raise ConfigError(
                path,
                f"check '{mark.check_id}' is defined twice (also line {seen[mark.check_id]})",
                line=line,
            )
        seen[mark.check_id] = line
        uses = stand_ins(mark.uses, path, line)
        checks.append(Check(mark.check_id, mark.hidden, function, line, uses))
    if not checks:
        raise ConfigError(path, "defines no check (decorate functions with @check)")
    return sorted(checks, key=lambda c: c.line)


HIDDEN_MESSAGE = "vérification cachée : exécutée à la correction"  # in a self-check


def check_rng(seed: int, check_id: str, student: str) -> np.random.Generator:
    """Inputs for one check: from the run's secret seed, distinct per check and per student."""
    return np.random.default_rng(
        [seed, zlib.crc32(check_id.encode()), zlib.crc32(student.encode())]
    )


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
                    HIDDEN_MESSAGE,
                    hidden=True,
                )
            )
        elif nb is None:
            results.append(_not_run(check, execution))
        else:
            results.append(run_check(check, nb, check_rng(seed, check.id, student)))
            called[check.id] = set(nb.called)
    if nb is None:
        return results
    probe = nb

    def rerun(check: Check) -> CheckResult:
        return run_check(check, probe, check_rng(seed, check.id, student))

    return carry_forward(checks, results, called, probe, rerun)


def run_check(check: Check, nb: Notebook, rng: np.random.Generator) -> CheckResult:
    started = time.monotonic()

    def result(
        outcome: Outcome, message: str, detail: str | None = None, phase: Phase = Phase.CHECK
    ) -> CheckResult:
        duration = round(time.monotonic() - started, 3)
        return CheckResult(check.id, outcome, phase, message, check.hidden, detail, duration)

    if nb is not None:
        nb.called.clear()  # the student functions this check calls: its upstream (carry.py)
    try:
        produced = check.function(nb, rng)
    except CheckFailed as failure:
        failed = result(Outcome.FAILED, failure.message, failure.detail or failure.message)
        return _as_shown(check, failed, failure.section, failure.redacted)
    except KernelUnavailable as problem:
        return result(Outcome.ERROR, problem.message, problem.detail, Phase.EXECUTE)
    except ProbeError as problem:
        return result(Outcome.ERROR, problem.message, problem.detail)
    except MemoryError:  # the grader worker's memory limit: an answer past the probe's bounds
        return result(
            Outcome.ERROR,
            "la vérification a manqué de mémoire : une réponse du notebook est sans doute trop "
            "volumineuse",
            traceback.format_exc(limit=-6),
        )
    except Exception:  # the check's own code raised: the instructor's bug, not the student's
        return result(
            Outcome.CHECK_ERROR,
            "le code de vérification a rencontré une erreur (à revoir par l'enseignant) : "
            "aucun point n'est perdu, ceux du critère sont réservés",
            traceback.format_exc(limit=-8),
        )
    passed = result(Outcome.PASSED, "correct")
    return _as_shown(check, passed, produced if isinstance(produced, Section) else None)


# Sections that draw the reference's values beside the student's.
REVEALING_KINDS = frozenset({"array", "attention", "tokens"})


def _as_shown(
    check: Check, result: CheckResult, section: Section | None, redacted: str | None = None
) -> CheckResult:
    """What a student sees of a check, decided here only (reports, exports and the CLI show the
    result as it is). Of a hidden check: the redacted message, and a section only when the
    check passed and the section draws no reference value (a prompt benchmark's table of the
    student's own outputs, yes; an expected-vs-got window, never)."""
    if check.hidden:
        result = result if redacted is None else replace(result, message=redacted)
        if result.outcome is not Outcome.PASSED or (section and section.kind in REVEALING_KINDS):
            return result
    if section is None:
        return result
    return replace(
        result, section={"kind": section.kind, "title": section.title, "data": section.data}
    )


def _not_run(check: Check, execution: ExecutionRecord) -> CheckResult:
    if execution.status is ExecutionStatus.STARTUP_FAILED:
        message = "le notebook n'a pas pu être exécuté"
        phase = Phase.EXECUTE
    else:
        message = execution.message or "le notebook n'a pas pu être chargé"
        phase = Phase.LOAD
    return CheckResult(check.id, Outcome.ERROR, phase, message, check.hidden)
