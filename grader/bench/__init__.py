"""Prompt benchmarks: YAML rubrics of cases, prompts and assertions, scored on the 0/1/2 grid.

The API the CLI and the grading pipeline use; see grader/bench/cli.py for `grader bench`.
Each name is imported from its module when first used (grader/lazy.py).
"""

from __future__ import annotations

from grader.lazy import lazy_exports

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
