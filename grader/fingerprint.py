"""What a grade is a function of, besides the submission: the assignment's fingerprint.

One digest per part, stored with each result (GradeReport.fingerprint), so that a rerun knows
what changed since a student was graded, and what that calls for (see `needs`):

- `rubric` alone: rescore the stored check outcomes, nothing runs (grader/scoring/score.py);
- `checks`, `assignment`, `data`, `references`, `grader`, `environment`: grade again.

The kernel runs this very interpreter (grader/sandbox/backend.py), so the kernel's package set
is this environment's.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
from collections.abc import Iterator, Mapping
from enum import StrEnum
from functools import cache
from pathlib import Path

import grader.references
from grader import distribution
from grader.assignment.load import Assignment

RUBRIC = "rubric"

# What each part is, in the line that says why a submission is graded again.
PARTS = {
    "checks": "checks.py",
    "rubric": "the rubric",
    "assignment": "assignment.yaml",
    "data": "the data files",
    "references": "the reference implementations",
    "grader": "grader's version",
    "environment": "the kernel's packages",
}


class Need(StrEnum):
    KEEP = "keep"  # the stored result stands
    RESCORE = "rescore"  # the rubric alone changed: new points from the stored outcomes
    REGRADE = "regrade"  # run the notebook and its checks again


def assignment_fingerprint(assignment: Assignment) -> dict[str, str]:
    """One digest per part the grade depends on."""
    return {
        "checks": _digest_files([assignment.checks_path]),
        RUBRIC: _digest_text(assignment.rubric.model_dump_json()),
        "assignment": _digest_text(assignment.spec.model_dump_json()),
        "data": _digest_files(
            path for relative in assignment.spec.data for path in _files(assignment.root / relative)
        ),
        "references": _references_digest(),
        "grader": _grader_version(),
        "environment": _environment_digest(),
    }


def changed_parts(stored: Mapping[str, str], current: Mapping[str, str]) -> list[str]:
    """The parts whose digest differs (all of them for a result stored without one)."""
    return [part for part in current if stored.get(part) != current[part]]


def needs(changed: list[str]) -> Need:
    if not changed:
        return Need.KEEP
    return Need.RESCORE if changed == [RUBRIC] else Need.REGRADE


def _digest_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _digest_files(paths: Iterator[Path] | list[Path]) -> str:
    """Names and contents, in a stable order (the assignment's own files: trusted)."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(os.fsencode(path.name) + b"\0")
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def _files(path: Path) -> Iterator[Path]:
    if path.is_dir():
        yield from (p for p in path.rglob("*") if p.is_file())
    else:
        yield path


@cache
def _references_digest() -> str:
    folder = Path(grader.references.__file__).parent
    return _digest_files(list(folder.glob("*.py")))


@cache
def _grader_version() -> str:
    return distribution.version()


@cache
def _environment_digest() -> str:
    packages = sorted(
        f"{(d.metadata['Name'] or '').lower()}=={d.version}"
        for d in importlib.metadata.distributions()
    )
    return _digest_text("\n".join(packages))
