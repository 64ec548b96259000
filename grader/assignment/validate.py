"""`grader validate`: the solution earns full marks, the template earns no check by accident."""

from __future__ import annotations

import secrets
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import nbformat

from grader.assignment.load import Assignment
from grader.assignment.preload import PreloadRecord, parse_kernel_modules, store
from grader.assignment.release import template_notebook
from grader.grading import (
    GradeOptions,
    Submission,
    grade_submission,
    import_in_background,
    warm_kernels,
)
from grader.results import ExecutionStatus, GradeReport, Outcome
from grader.sandbox.backends import Backend


@dataclass(frozen=True)
class Validation:
    solution: GradeReport
    template: GradeReport
    problems: list[str]
    preload: PreloadRecord | None = None  # what the solution imports, recorded

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_assignment(
    assignment: Assignment, mirror: Path | None = None, sandbox: Backend | None = None
) -> Validation:
    """Grade the source notebook and the released template with every check, hidden included
    (in `sandbox`, by default the best confinement that works here)."""
    modules: list[str] = []  # the solution's kernel's, for `preload: auto`
    options = GradeOptions(seed=secrets.randbits(64), mirror=mirror, kernel_modules=modules)
    if sandbox is not None:
        options = replace(options, sandbox=sandbox)
    problems = []
    # The checks run here, and need the libraries that the warm parent imports meanwhile.
    importing = import_in_background(assignment.preload)
    with warm_kernels(assignment, options) as (options, notice):
        failed = notice and assignment.preload and options.warm_parent is None
        if failed and options.sandbox.name == "bwrap":
            problems.append(f"assignment.yaml: preload: {notice}")  # grade would fall back
        solution = grade_submission(
            assignment, Submission("solution", assignment.source_notebook), options
        )
        options = replace(options, kernel_modules=None)  # the template's do not count
        with tempfile.TemporaryDirectory(prefix="grader-template-") as folder:
            path = Path(folder) / "template.ipynb"
            nbformat.write(template_notebook(assignment), path)  # type: ignore[no-untyped-call]
            template = grade_submission(assignment, Submission("template", path), options)
    importing.join()
    # Recorded only from a solution that ran whole: a crashed one imports less than it needs.
    ran = modules and solution.execution.status is ExecutionStatus.OK
    record = store(assignment, parse_kernel_modules(modules[0])) if ran else None
    for check in solution.checks:
        if check.outcome is not Outcome.PASSED:
            problems.append(
                f"solution: {check.id} {check.outcome.value}: {check.message}"
                + (f"\n    {check.detail.strip()}" if check.detail else "")
            )
    if solution.execution.message and solution.execution.status is not ExecutionStatus.OK:
        problems.append(f"solution: {solution.execution.message}")
    for check in template.checks:
        if check.outcome is Outcome.PASSED:
            problems.append(f"template: {check.id} passes on the empty template (it must not)")
    return Validation(solution, template, problems, record)
