"""grader: grade Jupyter notebooks of a Transformers/LLM course in sandboxed kernels.

The public API, which the command line only wraps:

    assignment = load_assignment("assignments/tp-attention")
    report = grade_submission(assignment, find_submission(path), GradeOptions(seed=1))
"""

from grader.assignment.load import Assignment, find_assignment, load_assignment
from grader.assignment.release import release
from grader.assignment.validate import Validation, validate_assignment
from grader.batch import (
    OutputTree,
    collect_submissions,
    default_jobs,
    grade_batch,
    late_policy,
    manual_export,
    manual_import,
    rerender,
    threads_per_kernel,
)
from grader.errors import ConfigError, GraderError, SandboxUnavailable
from grader.gradebook.late import read_lms_times
from grader.grading import (
    GradeOptions,
    Submission,
    find_submission,
    grade_submission,
    prepare_mirror,
    warm_kernels,
)
from grader.results import CheckResult, GradeReport, Outcome, Phase
from grader.similarity import similarity_report

__all__ = [
    "Assignment",
    "CheckResult",
    "ConfigError",
    "GradeOptions",
    "GradeReport",
    "GraderError",
    "Outcome",
    "OutputTree",
    "Phase",
    "SandboxUnavailable",
    "Submission",
    "Validation",
    "collect_submissions",
    "default_jobs",
    "find_assignment",
    "find_submission",
    "grade_batch",
    "grade_submission",
    "late_policy",
    "load_assignment",
    "manual_export",
    "manual_import",
    "prepare_mirror",
    "read_lms_times",
    "release",
    "rerender",
    "similarity_report",
    "threads_per_kernel",
    "validate_assignment",
    "warm_kernels",
]
