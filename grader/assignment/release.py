"""The student bundle: the template notebook (solutions and hidden tests stripped), the public
checks and what they need only (grader.assignment.public_checks), the public rubric."""

from __future__ import annotations

import copy
import fnmatch
import shutil
from pathlib import Path

import nbformat
import yaml

from grader.assignment.load import Assignment
from grader.assignment.public_checks import public_checks_source
from grader.errors import ConfigError

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_TESTS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")  # nbgrader's: dropped whole
PLACEHOLDER = ("# VOTRE CODE ICI", "raise NotImplementedError()")
MARKDOWN_PLACEHOLDER = ("*À compléter.*",)  # a student's own prose (a project's sections)


def strip_solutions(source: str, where: str, placeholder: tuple[str, ...] = PLACEHOLDER) -> str:
    """Drop each HIDDEN TESTS block; replace each SOLUTION block by a placeholder."""
    without_tests = _strip_blocks(source, where, HIDDEN_TESTS, ())
    return _strip_blocks(without_tests, where, (BEGIN, END), placeholder)


def _strip_blocks(
    source: str, where: str, markers: tuple[str, str], placeholder: tuple[str, ...]
) -> str:
    """Replace each begin/end block by `placeholder` at the block's indentation."""
    begin, end = markers
    kept: list[str] = []
    inside = False
    for line in source.splitlines():
        marker = line.strip()
        if marker == begin:
            if inside:
                raise ConfigError(where, f"'{begin}' inside another block of its kind")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            kept += [indent + text for text in placeholder]
        elif marker == end:
            if not inside:
                raise ConfigError(where, f"'{end}' without '{begin}'")
            inside = False
        elif not inside:
            kept.append(line)
    if inside:
        raise ConfigError(where, f"'{begin}' is never closed by '{end}'")
    return "\n".join(kept)


def template_notebook(assignment: Assignment) -> nbformat.NotebookNode:
    source = nbformat.read(assignment.source_notebook, as_version=4)  # type: ignore[no-untyped-call]
    template: nbformat.NotebookNode = copy.deepcopy(source)
    for number, cell in enumerate(template.cells, start=1):
        where = f"{assignment.source_notebook}, cell {number}"
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source, where)
            cell.outputs = []
            cell.execution_count = None
        elif any(marker in cell.source for marker in (BEGIN, *HIDDEN_TESTS)):
            cell.source = strip_solutions(cell.source, where, MARKDOWN_PLACEHOLDER)
    template.metadata["grader"] = {"assignment": assignment.id}
    return template


def public_rubric(assignment: Assignment) -> str:
    """The rubric as students see it: each criterion with its public checks, and the ids of its
    hidden ones (their code stays behind) so that a self-check names them and their points."""
    public = [check.id for check in assignment.checks if not check.hidden]
    hidden = assignment.hidden_checks()
    criteria = []
    for criterion in assignment.rubric.criteria:
        kept = [p for p in criterion.checks if any(fnmatch.fnmatchcase(i, p) for i in public)]
        dumped = criterion.model_dump(mode="json", exclude_defaults=True)
        entry = {**dumped, "checks": kept}
        if hidden[criterion.id]:
            entry["hidden_checks"] = hidden[criterion.id]
        criteria.append(entry)
    rubric = {"assignment": assignment.id, "criteria": criteria}
    return yaml.safe_dump(rubric, allow_unicode=True, sort_keys=False)


def release(assignment: Assignment, out: Path) -> Path:
    """Write the student bundle to out/<id>/ and return that folder."""
    bundle = out / assignment.id
    bundle.mkdir(parents=True, exist_ok=True)
    notebook_name = Path(assignment.spec.notebook).name
    nbformat.write(template_notebook(assignment), bundle / notebook_name)  # type: ignore[no-untyped-call]
    checks = public_checks_source(assignment.checks_path, assignment.checks)
    (bundle / "checks.py").write_text(checks, "utf-8")
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
