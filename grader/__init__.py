"""grader: grade Jupyter notebooks of a Transformers/LLM course in sandboxed kernels.

The public API, which the command line only wraps:

    assignment = load_assignment("assignments/tp-attention")
    report = grade_submission(assignment, find_submission(path), GradeOptions(seed=1))
    result = grade_class(ClassRun(Path("assignments/tp-attention"), paths, Path("out")))

Each name is imported from its module when first used: `import grader` stays instant, and so
does the command line's help.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from grader.lazy import lazy_exports

if TYPE_CHECKING:  # `as` re-exports each name to type checkers
    from grader.api import ClassListener as ClassListener
    from grader.api import ClassPlan as ClassPlan
    from grader.api import ClassRun as ClassRun
    from grader.api import grade_class as grade_class
    from grader.api import late_policy as late_policy
    from grader.assignment.load import Assignment as Assignment
    from grader.assignment.load import find_assignment as find_assignment
    from grader.assignment.load import load_assignment as load_assignment
    from grader.assignment.release import release as release
    from grader.batch import BatchResult as BatchResult
    from grader.batch import grade_batch as grade_batch
    from grader.cores import default_jobs as default_jobs
    from grader.cores import threads_per_kernel as threads_per_kernel
    from grader.crashes import Crash as Crash
    from grader.errors import ConfigError as ConfigError
    from grader.errors import GraderError as GraderError
    from grader.errors import SandboxUnavailable as SandboxUnavailable
    from grader.gradebook.late import read_lms_times as read_lms_times
    from grader.graded_folder import manual_export as manual_export
    from grader.graded_folder import manual_import as manual_import
    from grader.graded_folder import rerender as rerender
    from grader.grading import GradeOptions as GradeOptions
    from grader.grading import Submission as Submission
    from grader.grading import find_submission as find_submission
    from grader.grading import grade_submission as grade_submission
    from grader.grading import prepare_mirror as prepare_mirror
    from grader.output_tree import OutputTree as OutputTree
    from grader.results import CheckResult as CheckResult
    from grader.results import GradeReport as GradeReport
    from grader.results import Outcome as Outcome
    from grader.results import Phase as Phase
    from grader.roster import collect_submissions as collect_submissions
    from grader.similarity import similarity_report as similarity_report
    from grader.validate import Validation as Validation
    from grader.validate import validate_assignment as validate_assignment
    from grader.warm_start import warm_kernels as warm_kernels

_MODULES = {
    "grader.api": ("ClassListener", "ClassPlan", "ClassRun", "grade_class", "late_policy"),
    "grader.assignment.load": ("Assignment", "find_assignment", "load_assignment"),
    "grader.assignment.release": ("release",),
    "grader.batch": ("BatchResult", "grade_batch"),
    "grader.cores": ("default_jobs", "threads_per_kernel"),
    "grader.crashes": ("Crash",),
    "grader.errors": ("ConfigError", "GraderError", "SandboxUnavailable"),
    "grader.gradebook.late": ("read_lms_times",),
    "grader.graded_folder": ("manual_export", "manual_import", "rerender"),
    "grader.grading": (
        "GradeOptions",
        "Submission",
        "find_submission",
        "grade_submission",
        "prepare_mirror",
    ),
    "grader.output_tree": ("OutputTree",),
    "grader.results": ("CheckResult", "GradeReport", "Outcome", "Phase"),
    "grader.roster": ("collect_submissions",),
    "grader.similarity": ("similarity_report",),
    "grader.validate": ("Validation", "validate_assignment"),
    "grader.warm_start": ("warm_kernels",),
}
__getattr__ = lazy_exports(globals(), _MODULES)
__all__ = sorted(name for names in _MODULES.values() for name in names)
