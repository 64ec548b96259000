"""Prompt benchmarks: YAML rubrics of cases, prompts and assertions, scored on the 0/1/2 grid.

The API the CLI and the grading pipeline use; see grader/bench/cli.py for `grader bench`.
"""

from grader.bench.assertions import AssertionScore, Tools
from grader.bench.grading import score_outputs, tools_for, write_result
from grader.bench.load import LoadedRubric, load_rubric, parse_rubric
from grader.bench.notebook import (
    bench_section,
    claimed_means,
    regenerate_outputs,
    table_records,
)
from grader.bench.providers import LocalPipeline, OpenAICompatible, ProviderError, generate_outputs
from grader.bench.records import read_outputs, result_to_dict
from grader.bench.report import render_bench_data, render_bench_page, render_bench_section
from grader.bench.scoring import BenchResult, RecordedOutput, score_student
from grader.bench.student_table import (
    StudentTable,
    grades_by_prompt,
    read_student_table,
    table_problems,
)

__all__ = [
    "AssertionScore",
    "BenchResult",
    "LoadedRubric",
    "LocalPipeline",
    "OpenAICompatible",
    "ProviderError",
    "RecordedOutput",
    "StudentTable",
    "Tools",
    "bench_section",
    "claimed_means",
    "generate_outputs",
    "grades_by_prompt",
    "load_rubric",
    "parse_rubric",
    "read_outputs",
    "read_student_table",
    "regenerate_outputs",
    "render_bench_data",
    "render_bench_page",
    "render_bench_section",
    "result_to_dict",
    "score_outputs",
    "score_student",
    "table_problems",
    "table_records",
    "tools_for",
    "write_result",
]
