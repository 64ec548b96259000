"""Prompt benchmarks: YAML rubrics of cases, prompts and assertions, scored on the 0/1/2 grid.

The API the CLI and the grading pipeline use; see grader/bench/cli.py for `grader bench`.

Each name is imported from its module when first used (grader/lazy.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from grader.lazy import lazy_exports

if TYPE_CHECKING:  # `as` re-exports each name to type checkers
    from grader.bench.assertions import AssertionScore as AssertionScore
    from grader.bench.assertions import Tools as Tools
    from grader.bench.grading import score_outputs as score_outputs
    from grader.bench.grading import tools_for as tools_for
    from grader.bench.grading import write_result as write_result
    from grader.bench.load import LoadedRubric as LoadedRubric
    from grader.bench.load import load_rubric as load_rubric
    from grader.bench.load import parse_rubric as parse_rubric
    from grader.bench.notebook import bench_section as bench_section
    from grader.bench.notebook import claimed_means as claimed_means
    from grader.bench.notebook import regenerate_outputs as regenerate_outputs
    from grader.bench.notebook import table_records as table_records
    from grader.bench.providers import LocalPipeline as LocalPipeline
    from grader.bench.providers import OpenAICompatible as OpenAICompatible
    from grader.bench.providers import ProviderError as ProviderError
    from grader.bench.providers import generate_outputs as generate_outputs
    from grader.bench.records import read_outputs as read_outputs
    from grader.bench.records import result_to_dict as result_to_dict
    from grader.bench.report import render_bench_data as render_bench_data
    from grader.bench.report import render_bench_page as render_bench_page
    from grader.bench.report import render_bench_section as render_bench_section
    from grader.bench.scoring import BenchResult as BenchResult
    from grader.bench.scoring import RecordedOutput as RecordedOutput
    from grader.bench.scoring import score_student as score_student
    from grader.bench.student_table import StudentTable as StudentTable
    from grader.bench.student_table import grades_by_prompt as grades_by_prompt
    from grader.bench.student_table import read_student_table as read_student_table
    from grader.bench.student_table import table_problems as table_problems

_MODULES = {
    "grader.bench.assertions": (
        "AssertionScore",
        "Tools",
    ),
    "grader.bench.grading": (
        "score_outputs",
        "tools_for",
        "write_result",
    ),
    "grader.bench.load": (
        "LoadedRubric",
        "load_rubric",
        "parse_rubric",
    ),
    "grader.bench.notebook": (
        "bench_section",
        "claimed_means",
        "regenerate_outputs",
        "table_records",
    ),
    "grader.bench.providers": (
        "LocalPipeline",
        "OpenAICompatible",
        "ProviderError",
        "generate_outputs",
    ),
    "grader.bench.records": (
        "read_outputs",
        "result_to_dict",
    ),
    "grader.bench.report": (
        "render_bench_data",
        "render_bench_page",
        "render_bench_section",
    ),
    "grader.bench.scoring": (
        "BenchResult",
        "RecordedOutput",
        "score_student",
    ),
    "grader.bench.student_table": (
        "StudentTable",
        "grades_by_prompt",
        "read_student_table",
        "table_problems",
    ),
}
__getattr__ = lazy_exports(globals(), _MODULES)

__all__ = sorted(name for names in _MODULES.values() for name in names)
