"""The import graph flows one way: cli -> api -> batch -> grading -> domain -> checks/sandbox ->
results. Every import of every module (those inside functions and under TYPE_CHECKING too) is
read with `ast`; an import of a higher layer fails, naming the file and the line."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "grader"

# Layers, highest first; a module takes the layer of its longest prefix listed here.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "cli",
        (
            "grader.cli",
            "grader.cli_common",
            "grader.__main__",
            "grader.bench.cli",
            "grader.marking.cli",
            "grader.similarity.cli",
            "grader.mirror.cli",
            "grader.quiz.cli",
            "grader.sandbox.cli",
        ),
    ),
    ("api", ("grader", "grader.api")),
    (
        "batch",
        (
            "grader.batch",
            "grader.distributed",
            "grader.graded_folder",
            "grader.marking",
            "grader.output_tree",
            "grader.moodle",
            "grader.roster",
            "grader.validate",
            "grader.warm_start",
            "grader.workers",
        ),
    ),
    ("grading", ("grader.grading", "grader.preload_imports", "grader.selfcheck")),
    (
        "domain",
        (
            "grader.assignment",
            "grader.bench",
            "grader.fingerprint",
            "grader.gradebook",
            "grader.quiz",
            "grader.report",
            "grader.scoring",
            "grader.similarity",
        ),
    ),
    (
        "checks/sandbox",
        (
            "grader.checks",
            "grader.mirror",
            "grader.report.sections",
            "grader.sandbox",
            "grader.submission",
        ),
    ),
    (
        "results",
        (
            "grader.atomic",
            "grader.cores",
            "grader.crashes",
            "grader.distribution",
            "grader.errors",
            "grader.formats",
            "grader.lazy",
            "grader.messages",
            "grader.references",
            "grader.report.i18n",
            "grader.results",
            "grader.sandbox_names",
            "grader.specfile",
            "grader.text",
        ),
    ),
)
HEIGHT = {prefix: len(LAYERS) - i for i, (_, prefixes) in enumerate(LAYERS) for prefix in prefixes}
NAME = {len(LAYERS) - i: name for i, (name, _) in enumerate(LAYERS)}


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    """The height of `module`'s layer; KeyError for a module no layer names."""
    parts = module.split(".")
    for end in range(len(parts), 1, -1):  # "grader" itself is the package's __init__ only
        if (prefix := ".".join(parts[:end])) in HEIGHT:
            return HEIGHT[prefix]
    if module in HEIGHT:
        return HEIGHT[module]
    raise KeyError(module)


def imported(path: Path, root: Path) -> list[tuple[int, str]]:
    """(line, name) of every grader name that `path` imports, wherever the import is."""
    found = []
    module = module_name(path, root)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package
                package = module.split(".")[: -node.level or None]
                base = ".".join([*package, *([base] if base else [])])
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if name.split(".")[0] == "grader"]


def target(name: str) -> str:
    """The module an imported name belongs to: `grader.results.Section` -> `grader.results`."""
    parts = name.split(".")
    while len(parts) > 1 and not _exists(".".join(parts)):
        parts.pop()
    return ".".join(parts)


def _exists(module: str) -> bool:
    relative = Path(*module.split("."))
    return (ROOT / relative).with_suffix(".py").is_file() or (ROOT / relative).is_dir()


def upward_imports(root: Path) -> list[str]:
    """One line per import of a higher layer in the package below `root`."""
    problems = []
    for path in sorted((root / "grader").rglob("*.py")):
        module = module_name(path, root)
        height = layer(module)
        modules = dict.fromkeys((line, target(name)) for line, name in imported(path, root))
        for line, imported_module in modules:
            if (to := layer(imported_module)) > height:
                problems.append(
                    f"{path.relative_to(root)}:{line}: {module} ({NAME[height]}) imports "
                    f"{imported_module} ({NAME[to]}), a layer above it"
                )
    return problems


def test_every_module_has_a_layer() -> None:
    unplaced = []
    for path in PACKAGE.rglob("*.py"):
        try:
            layer(module_name(path))
        except KeyError:
            unplaced.append(str(path.relative_to(ROOT)))
    assert unplaced == []


def test_no_module_imports_a_layer_above_its_own() -> None:
    assert upward_imports(ROOT) == []


def test_an_upward_import_is_named_with_its_file_and_line(tmp_path: Path) -> None:
    """The test above can fail: imports of higher layers, one inside a function, one relative,
    one under TYPE_CHECKING; an import of a lower layer is fine."""
    (tmp_path / "grader" / "report").mkdir(parents=True)
    (tmp_path / "grader" / "results.py").write_text(
        "from grader.text import safe_text\n\n\ndef f():\n    from grader.cli import main\n"
    )
    (tmp_path / "grader" / "report" / "sections.py").write_text(
        "from typing import TYPE_CHECKING\nfrom . import html\nif TYPE_CHECKING:\n"
        "    import grader.api\n"
    )
    assert upward_imports(tmp_path) == [
        "grader/report/sections.py:2: grader.report.sections (checks/sandbox) imports "
        "grader.report.html (domain), a layer above it",
        "grader/report/sections.py:4: grader.report.sections (checks/sandbox) imports "
        "grader.api (api), a layer above it",
        "grader/results.py:5: grader.results (results) imports grader.cli (cli), a layer above it",
    ]


@pytest.mark.parametrize(
    ("module", "expected"),
    [("grader.results", "results"), ("grader.report.sections", "checks/sandbox"),
     ("grader.report.html", "domain"), ("grader", "api"), ("grader.quiz.cli", "cli")],
)  # fmt: skip
def test_layers_take_the_longest_prefix(module: str, expected: str) -> None:
    assert NAME[layer(module)] == expected


HEAVY = ("numpy", "nbclient", "torch", "jinja2", "grader.sandbox")

# Runs grader's command line as `python -m grader` does, then names the modules it imported.
IMPORTED_BY_HELP = """
import json, runpy, sys
sys.argv = ["grader", *sys.argv[1:]]
try:
    runpy.run_module("grader", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "command", [(), ("grade",), ("check",), ("report",), ("quiz",), ("quiz", "score"), ("bench",)]
)
def test_help_imports_nothing_heavy(command: tuple[str, ...]) -> None:
    """`grader --help` and a command's help import no notebook, array, template or sandbox
    library: each command imports what it runs when it runs (the time is in benchmarks/)."""
    done = subprocess.run(
        [sys.executable, "-c", IMPORTED_BY_HELP, *command, "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Usage:" in done.stdout
    modules = json.loads(done.stderr.strip().splitlines()[-1])
    assert "grader.cli" in modules  # the command line ran, from this checkout
    heavy = [m for m in modules if any(m == h or m.startswith(f"{h}.") for h in HEAVY)]
    assert heavy == []
