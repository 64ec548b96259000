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
from grader.assignment.self_check_cells import data_files, with_self_check
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


def bundle_files(assignment: Assignment) -> dict[str, str]:
    """The bundle's texts a self-check needs: the public checks, the public rubric and the
    assignment's spec naming them (its data files are the student's, beside the notebook)."""
    spec = assignment.spec.model_dump(mode="json", exclude_defaults=True)
    spec.update(
        notebook=Path(assignment.spec.notebook).name, checks="checks.py", rubric="rubric.yaml"
    )
    spec.pop("data", None)
    return {
        "assignment.yaml": yaml.safe_dump(spec, allow_unicode=True, sort_keys=False),
        "checks.py": public_checks_source(assignment.checks_path, assignment.checks),
        "rubric.yaml": public_rubric(assignment),
    }


def release(assignment: Assignment, out: Path) -> Path:
    """Write the student bundle to out/<id>/ and return that folder: the template with its
    self-check cells (grader.assignment.self_check_cells), the public files, the data."""
    bundle = out / assignment.id
    bundle.mkdir(parents=True, exist_ok=True)
    files = bundle_files(assignment)
    data = []
    for relative in assignment.spec.data:
        source, target = assignment.root / relative, bundle / Path(relative).name
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copyfile(source, target)
        data.append(Path(relative).name)
    if data:
        spec = yaml.safe_load(files["assignment.yaml"])
        files_on_disk = {**files, "assignment.yaml": _with_data(spec, data)}
    else:
        files_on_disk = files
    for name, text in files_on_disk.items():
        (bundle / name).write_text(text, encoding="utf-8")
    carried = {**files, **data_files(assignment)}
    template = with_self_check(template_notebook(assignment), assignment, carried)
    nbformat.write(template, bundle / Path(assignment.spec.notebook).name)  # type: ignore[no-untyped-call]
    return bundle


def _with_data(spec: dict[str, object], data: list[str]) -> str:
    return yaml.safe_dump({**spec, "data": data}, allow_unicode=True, sort_keys=False)
