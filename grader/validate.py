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
from grader.grading import GradeOptions, Submission, grade_submission
from grader.preload_imports import import_in_background
from grader.results import CellStatus, ExecutionStatus, GradeReport, Outcome
from grader.sandbox.selection import Backend
from grader.warm_start import warm_kernels


@dataclass(frozen=True)
class Validation:
    solution: GradeReport
    template: GradeReport
    problems: list[str]
    preload: PreloadRecord | None = None  # what the solution imports, recorded

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def automatic(self) -> tuple[float, float]:
        """(points, total) of the solution on the criteria its checks decide."""
        criteria = [c for c in self.solution.criteria if not c.manual]
        return (
            round(sum(c.points for c in criteria), 2),
            round(sum(c.max_points for c in criteria), 2),
        )

    @property
    def manual(self) -> list[tuple[str, float]]:
        """(criterion id, points) of the criteria the instructor marks by hand."""
        return [(c.id, c.max_points) for c in self.solution.criteria if c.manual]


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
        if failed and options.sandbox.forks_kernels:
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
    return Validation(
        solution,
        template,
        [*problems, *_solution_problems(solution), *_template_problems(template)],
        record,
    )


def _solution_problems(solution: GradeReport) -> list[str]:
    """Every cell of the solution that did not run through, every check that did not pass (a
    check's own error with its traceback): the solution must earn every automatic point."""
    problems = [
        f"solution: cell {cell.index + 1} {cell.status.value}"
        + (f": {cell.error}" if cell.error else "")
        for cell in solution.execution.cells
        if cell.status is not CellStatus.OK
    ]
    for check in solution.checks:
        if check.outcome is not Outcome.PASSED:
            problems.append(
                f"solution: {check.id} {check.outcome.value}: {check.message}"
                + "".join(f"\n    {line}" for line in (check.detail or "").strip().splitlines())
            )
    if solution.execution.message and solution.execution.status is not ExecutionStatus.OK:
        problems.append(f"solution: {solution.execution.message}")
    return problems


def _template_problems(template: GradeReport) -> list[str]:
    return [
        f"template: {check.id} passes on the empty template (it must not)"
        for check in template.checks
        if check.outcome is Outcome.PASSED
    ]
