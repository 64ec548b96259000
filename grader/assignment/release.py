"""The student bundle: the template notebook (solutions stripped) and the public checks only."""

from __future__ import annotations

import ast
import copy
import fnmatch
import shutil
from pathlib import Path

import nbformat
import yaml

from grader.assignment.load import Assignment
from grader.errors import ConfigError

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
PLACEHOLDER = ("# VOTRE CODE ICI", "raise NotImplementedError()")
MARKDOWN_PLACEHOLDER = ("*À compléter.*",)  # a student's own prose (a project's sections)


def strip_solutions(source: str, where: str, placeholder: tuple[str, ...] = PLACEHOLDER) -> str:
    """Replace each BEGIN/END SOLUTION block by a placeholder at the block's indentation."""
    kept: list[str] = []
    inside = False
    for line in source.splitlines():
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise ConfigError(where, f"'{BEGIN}' inside another solution block")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            kept += [indent + text for text in placeholder]
        elif marker == END:
            if not inside:
                raise ConfigError(where, f"'{END}' without '{BEGIN}'")
            inside = False
        elif not inside:
            kept.append(line)
    if inside:
        raise ConfigError(where, f"'{BEGIN}' is never closed by '{END}'")
    return "\n".join(kept)


def template_notebook(assignment: Assignment) -> nbformat.NotebookNode:
    source = nbformat.read(assignment.source_notebook, as_version=4)  # type: ignore[no-untyped-call]
    template: nbformat.NotebookNode = copy.deepcopy(source)
    for number, cell in enumerate(template.cells, start=1):
        if cell.cell_type == "code":
            where = f"{assignment.source_notebook}, cell {number}"
            cell.source = strip_solutions(cell.source, where)
            cell.outputs = []
            cell.execution_count = None
        elif cell.cell_type == "markdown" and BEGIN in cell.source:
            where = f"{assignment.source_notebook}, cell {number}"
            cell.source = strip_solutions(cell.source, where, MARKDOWN_PLACEHOLDER)
    template.metadata["grader"] = {"assignment": assignment.id}
    return template


def public_checks_source(path: Path) -> str:
    """checks.py without the functions decorated with `@check(..., hidden=True)`."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines(keepends=True)
    drop: set[int] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and any(_is_hidden(d) for d in node.decorator_list):
            first = min(d.lineno for d in node.decorator_list)
            drop.update(range(first - 1, node.end_lineno or node.lineno))
    return "".join(line for number, line in enumerate(lines) if number not in drop)


def public_rubric(assignment: Assignment) -> str:
    """The rubric as students see it: each criterion with its public checks only."""
    public = [check.id for check in assignment.checks if not check.hidden]
    criteria = []
    for criterion in assignment.rubric.criteria:
        kept = [p for p in criterion.checks if any(fnmatch.fnmatchcase(i, p) for i in public)]
        if kept or criterion.manual:
            criteria.append({**criterion.model_dump(mode="json"), "checks": kept})
    rubric = {"assignment": assignment.id, "criteria": criteria}
    return yaml.safe_dump(rubric, allow_unicode=True, sort_keys=False)


def _is_hidden(decorator: ast.expr) -> bool:
    return isinstance(decorator, ast.Call) and any(
        k.arg == "hidden" and isinstance(k.value, ast.Constant) and k.value.value is True
        for k in decorator.keywords
    )


def release(assignment: Assignment, out: Path) -> Path:
    """Write the student bundle to out/<id>/ and return that folder."""
    bundle = out / assignment.id
    bundle.mkdir(parents=True, exist_ok=True)
    notebook_name = Path(assignment.spec.notebook).name
    nbformat.write(template_notebook(assignment), bundle / notebook_name)  # type: ignore[no-untyped-call]
    (bundle / "checks.py").write_text(public_checks_source(assignment.checks_path), "utf-8")
    (bundle / "rubric.yaml").write_text(public_rubric(assignment), encoding="utf-8")
    data = []
    for relative in assignment.spec.data:
        source, target = assignment.root / relative, bundle / Path(relative).name
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copyfile(source, target)
        data.append(Path(relative).name)
    spec = assignment.spec.model_dump(mode="json", exclude_defaults=True)
    spec.update(notebook=notebook_name, checks="checks.py", rubric="rubric.yaml")
    if data:
        spec["data"] = data
    text = yaml.safe_dump(spec, allow_unicode=True, sort_keys=False)
    (bundle / "assignment.yaml").write_text(text, encoding="utf-8")
    return bundle
