"""The self-check cells of a released template, and the bundle they carry.

A student checks a part where they write it: the template's first code cell loads the
assignment's public bundle (checks.py, rubric.yaml, assignment.yaml, the data files) and binds
`verifier`; a `verifier("part")` cell closes each part, and `verifier()` ends the notebook
(grader.selfcheck runs them in the student's own kernel).

The bundle travels inside the first cell, compressed: a Colab kernel has no file beside the
notebook (it lives in Drive) and the course's notebooks are not all in the installed package, so
the notebook carries the checks it was released with, whatever was released since, and needs
only `pip install llm-course-grader`. Public checks hold no secret: nothing is lost by showing
them. A part is a rubric criterion; its cell follows the last template cell that defines a name
its public checks probe (`nb.call("softmax")`, `nb.get("jetons")`, names in `nb.run` code).

Grading never runs these cells (the grader's kernels cannot import grader): they carry
`{"grader": {"self_check": true}}` in their metadata, and `without_self_check` empties them
before a submission runs, keeping the cells' numbers.
"""

from __future__ import annotations

import ast
import base64
import inspect
import json
import textwrap
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat

from grader.assignment.load import Assignment
from grader.checks.runner import Check
from grader.distribution import DISTRIBUTION, version

MARK = "self_check"
BUNDLE_FILES = ("assignment.yaml", "rubric.yaml", "checks.py")
# The data files, under their path in the released folder: a public check may read them
# (`Path(__file__).with_name("texte_fr.txt")`). Text as it is, other files in base64.
DATA_TEXT, DATA_BYTES = "data/", "data-base64/"
PAYLOAD_WIDTH = 88  # characters of the bundle per line of the loading cell
LOADING = (
    '# Auto-vérification : verifier("partie") lance les vérifications publiques d\'une partie,\n'
    "# verifier() celles de tout le notebook, avec la note indicative. Les vérifications cachées\n"
    "# s'exécutent à la correction. Dans Colab : %pip install -q {distribution}=={version}\n"
    "from grader.selfcheck import load_self_check\n\n"
)


def data_files(assignment: Assignment) -> dict[str, str]:
    """The assignment's data files as bundle entries, each where `grader release` puts it."""
    entries = {}
    for relative in assignment.spec.data:
        source = assignment.root / relative
        inside = sorted(source.rglob("*")) if source.is_dir() else [source]
        for path in inside:
            if not path.is_file():
                continue
            released = Path(source.name, path.relative_to(source))  # a file: its own name
            content = path.read_bytes()
            try:
                entries[DATA_TEXT + released.as_posix()] = content.decode("utf-8")
            except UnicodeDecodeError:
                entries[DATA_BYTES + released.as_posix()] = base64.b64encode(content).decode()
    return entries


def encode_bundle(files: dict[str, str]) -> str:
    """The bundle's files as one ASCII string: JSON, compressed, base64."""
    raw = json.dumps(files, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return base64.b64encode(zlib.compress(raw, 9)).decode("ascii")


def decode_bundle(payload: str) -> dict[str, str]:
    """The files `encode_bundle` packed; ValueError when the text is not such a bundle."""
    try:
        files = json.loads(zlib.decompress(base64.b64decode(payload, validate=True)))
    except (ValueError, zlib.error) as exc:
        raise ValueError(f"not a self-check bundle: {exc}") from None
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in files.items()
    ):
        raise ValueError("not a self-check bundle: not a mapping of file names to texts")
    return files


def with_self_check(
    template: nbformat.NotebookNode, assignment: Assignment, files: dict[str, str]
) -> nbformat.NotebookNode:
    """`template` with the loading cell first, a part's cell after each part, `verifier()` last."""
    after = _parts_after_cells(assignment)
    cells = [_cell(_loading_source(encode_bundle(files)))]
    for index, cell in enumerate(template.cells):
        cells.append(cell)
        if index in after:
            arguments = ", ".join(json.dumps(part, ensure_ascii=False) for part in after[index])
            cells.append(_cell(f"verifier({arguments})"))
    cells.append(_cell("verifier()"))
    template.cells = cells
    return template


def without_self_check(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """`notebook` with its self-check cells emptied (the cells stay: their numbers count)."""
    for cell in notebook.get("cells", []) if isinstance(notebook.get("cells"), list) else []:
        if isinstance(cell, dict) and cell.get("cell_type") == "code" and is_self_check_cell(cell):
            cell["source"] = ""
    return notebook


def is_self_check_cell(cell: dict[str, object]) -> bool:
    """A cell `with_self_check` wrote: its metadata say so."""
    metadata = cell.get("metadata")
    grader = metadata.get("grader") if isinstance(metadata, dict) else None
    return isinstance(grader, dict) and grader.get(MARK) is True


def _cell(source: str) -> nbformat.NotebookNode:
    cell: nbformat.NotebookNode = nbformat.v4.new_code_cell(source)  # type: ignore[no-untyped-call]
    cell.metadata["grader"] = {MARK: True}
    return cell


def _loading_source(payload: str) -> str:
    """The first cell: the bundle, and the grader version it was released with (the one the
    Colab line installs, and the one `load_self_check` compares with what is installed)."""
    lines = textwrap.wrap(payload, PAYLOAD_WIDTH)
    quoted = "\n".join(f'    "{line}"' for line in lines)
    released = version()
    opening = LOADING.format(distribution=DISTRIBUTION, version=released)
    return f"{opening}verifier = load_self_check(\n{quoted},\n    released_with={released!r},\n)"


def _parts_after_cells(assignment: Assignment) -> dict[int, list[str]]:
    """Cell index -> the parts (criteria) whose last defining cell in the solution it is (the
    template's cells are the solution's, one for one), in rubric order."""
    solution = nbformat.read(assignment.source_notebook, as_version=4)  # type: ignore[no-untyped-call]
    defined_in: dict[str, int] = {}  # template_notebook keeps the solution's cells, one for one
    for index, cell in enumerate(solution.cells):
        if cell.cell_type == "code":
            for name in _defined_names(cell.source):
                defined_in[name] = index
    by_id = {check.id: check for check in assignment.checks}
    after: dict[int, list[str]] = {}
    for criterion, ids in assignment.criterion_checks().items():
        probed = {name for i in ids if not by_id[i].hidden for name in _probed_names(by_id[i])}
        cells = [defined_in[name] for name in probed if name in defined_in]
        if cells:
            after.setdefault(max(cells), []).append(criterion)
    return after


def _defined_names(source: str) -> set[str]:
    """The module-level names a cell binds: functions, classes, assigned variables."""
    tree = _parsed(source)
    if tree is None:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def _probed_names(check: Check) -> set[str]:
    """The student names a check probes by a literal: `nb.call("x", ...)`, `nb.get("x")`, the
    names that `nb.run("...")` code reads; in its body and in the functions of its module that
    it calls (a helper that probes)."""
    names: set[str] = set()
    for tree in _function_trees(check.function):
        for node in ast.walk(tree):
            literal = _first_literal(node)
            if literal is None:
                continue
            method, text = literal
            if method in ("call", "get"):
                names.add(text)
            elif method == "run":
                names |= _read_names(text)
    return names


def _function_trees(function: Callable[..., object]) -> Iterator[ast.AST]:
    """The syntax of `function` and of the functions of its module it calls by name."""
    tree = _syntax(function)
    if tree is None:
        return
    yield tree
    module_globals = getattr(function, "__globals__", {})
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            helper = module_globals.get(node.func.id)
            if inspect.isfunction(helper) and helper.__module__ == function.__module__:
                helper_tree = _syntax(helper)
                if helper_tree is not None:
                    yield helper_tree


def _syntax(function: Callable[..., object]) -> ast.AST | None:
    try:
        return ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return None


def _first_literal(node: ast.AST) -> tuple[str, str] | None:
    """("call", "softmax") for `anything.call("softmax", ...)`; None for any other node."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return node.func.attr, node.args[0].value
    return None


def _read_names(code: str) -> set[str]:
    tree = _parsed(code)
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)} if tree else set()


def _parsed(source: str) -> ast.Module | None:
    """A student's cell as a tree; None when it is not valid Python (it binds and reads nothing
    that release could follow)."""
    try:
        return ast.parse(source)
    except SyntaxError:
        return None
