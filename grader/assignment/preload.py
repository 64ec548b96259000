"""`preload: auto`: the modules the solution notebook really imports, recorded by `validate`.

A hand-written `preload: [transformers]` barely helps: transformers imports its models and
tokenizers lazily, when a cell first uses them, so each kernel still paid seconds of imports.
With `preload: auto` (the default when assignment.yaml says nothing), `grader validate` asks
the solution's kernel, once its cells have run, which modules it holds; keeps the third-party
ones the kernel did not start with, the deepest of each chain (importing
`transformers.models.bert.tokenization_bert` imports its parents), public names only; times
their import in a fresh interpreter (a module that fails there is dropped); and stores the list
and the time with the assignment's fingerprint, a hash of its folder's files. The warm parent
then imports that list; any change to the assignment's files asks for a new `validate`.
The record is kept in the user's cache (XDG_CACHE_HOME, else ~/.cache: grader/preload/), not
in the assignment's folder, whose files it would change.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.atomic import write_json_atomic
from grader.sandbox import policy

if TYPE_CHECKING:
    from grader.assignment.load import Assignment

# The kernel's own machinery, there before the first cell (its debugger brings pydevd): no
# package these import is counted among the notebook's imports.
KERNEL_BASELINE = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.debugger",
    "debugpy.server.api",
    "IPython.core.completerlib",
    "pyseccomp",
)
MAX_MODULES = 5000  # kept in the record; more would mean a kernel that lies


@dataclass(frozen=True)
class PreloadRecord:
    """What `validate` measured of the solution: the modules to preload, their import time."""

    fingerprint: str
    modules: tuple[str, ...]
    seconds: float  # importing them all in a fresh interpreter


def fingerprint(folder: Path) -> str:
    """A hash of the assignment folder's regular files: their relative paths and bytes."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            digest.update(os.fsencode(path.relative_to(folder)) + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def record_path(assignment: Assignment) -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "grader" / "preload" / f"{assignment.id}.json"


def recorded(assignment: Assignment) -> PreloadRecord | None:
    """The record of the assignment as it is now; None if `validate` did not record it."""
    try:
        data = json.loads(record_path(assignment).read_text())
        record = PreloadRecord(data["fingerprint"], tuple(data["modules"]), float(data["seconds"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return record if record.fingerprint == fingerprint(assignment.root) else None


def store(assignment: Assignment, kernel_modules: Sequence[str]) -> PreloadRecord:
    """Record the heavy modules among those the solution's kernel held."""
    modules, seconds = time_imports(heavy_modules(kernel_modules))
    record = PreloadRecord(fingerprint(assignment.root), tuple(modules), seconds)
    data = {"fingerprint": record.fingerprint, "modules": modules, "seconds": seconds}
    write_json_atomic(record_path(assignment), data)  # a grade meanwhile reads all or nothing
    return record


def parse_kernel_modules(text: str) -> list[str]:
    """The kernel's answer to MODULES_EXPRESSION (the repr of one name a line), kept only as
    module names (the kernel ran the instructor's solution, but is still a kernel)."""
    try:
        names = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return []
    if not isinstance(names, str):
        return []
    lines = names.splitlines()[:MAX_MODULES]
    return [n for n in lines if n.isascii() and len(n) < 200]


def heavy_modules(names: Sequence[str]) -> list[str]:
    """The public modules of `names` of third-party packages the bare kernel does not use,
    the deepest of each chain."""
    kernel_packages = {name.split(".")[0] for name in _baseline_modules()}
    kept = {
        name
        for name in names
        if name.split(".")[0] not in kernel_packages | sys.stdlib_module_names
        and all(part.isidentifier() and not part.startswith("_") for part in name.split("."))
    }
    return sorted(name for name in kept if not any(o.startswith(name + ".") for o in kept))


def _baseline_modules() -> list[str]:
    modules: list[str] = _run_importer({"baseline": list(KERNEL_BASELINE), "timed": []})["modules"]
    return modules


def time_imports(modules: Sequence[str]) -> tuple[list[str], float]:
    """The modules a fresh interpreter imports (those failing dropped), and how long they took
    together, after the kernel's own machinery."""
    answer = _run_importer({"baseline": list(KERNEL_BASELINE), "timed": list(modules)})
    return answer["imported"], answer["seconds"]


_IMPORTER = """
import importlib, json, sys, time
request = json.loads(sys.argv[1])
for name in request["baseline"]:
    try:
        importlib.import_module(name)
    except ImportError:
        pass
imported, started = [], time.perf_counter()
for name in request["timed"]:
    try:
        importlib.import_module(name)
    except BaseException:
        continue
    imported.append(name)
seconds = round(time.perf_counter() - started, 3)
print(json.dumps({"imported": imported, "seconds": seconds, "modules": sorted(sys.modules)}))
"""


def _run_importer(request: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [policy.kernel_python(), "-c", _IMPORTER, json.dumps(request)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
        env={**os.environ, "MPLBACKEND": "agg", "TOKENIZERS_PARALLELISM": "false"},
    )
    answer: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return answer
