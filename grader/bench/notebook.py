"""The notebook path: a student's results table read through the probe channel, scored with
the bench rubric in the grader process, and handed back to the report as a section.

For an assignment's checks.py:

    records = table_records(nb, "resultats")
    table = read_student_table(rubric, "notebook", records)
    result = score_student(rubric, "notebook", table.rows, tools_for(rubric),
                           claimed_means(rubric, nb.get("moyennes")), table.warnings)
    return bench_section(result)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from grader.bench.load import LoadedRubric
from grader.bench.providers import Provider
from grader.bench.records import result_to_dict
from grader.bench.scoring import BenchResult, RecordedOutput
from grader.bench.text import normalise
from grader.checks.api import CheckFailed
from grader.results import Section

# Runs in the student's kernel: a DataFrame, a list of dicts or a dict of columns becomes a
# list of plain JSON records (no numpy scalar, no NaN), whatever the student used.
_TABLE_SOURCE = """
import json as _json
_table = {name}
if hasattr(_table, "to_json"):
    _table = _json.loads(_table.to_json(orient="records", force_ascii=False))
elif isinstance(_table, dict):
    _columns = {{str(k): list(v) for k, v in _table.items()}}
    _table = [dict(zip(_columns, values)) for values in zip(*_columns.values())]
if isinstance(_table, (list, tuple)):
    _table = [dict(r) if hasattr(r, "keys") else r for r in _table]
else:
    _table = {{"not_a_table": type(_table).__name__}}
_json.loads(_json.dumps(_table, default=str))
"""


def table_records(nb: Any, variable: str) -> list[Any]:
    """The student's table `variable` as a list of records; CheckFailed (French) when it is not
    a table. A missing variable or an exception in the kernel is a probe error (`error`)."""
    nb.get(variable)  # a missing variable: the probe's own French message
    records = nb.run(_TABLE_SOURCE.format(name=variable))
    if not isinstance(records, list):
        got = records.get("not_a_table") if isinstance(records, dict) else None
        raise CheckFailed(
            f"`{variable}` doit être un tableau (DataFrame ou liste de dictionnaires), "
            f"obtenu {got or type(records).__name__}"
        )
    return records


def claimed_means(rubric: LoadedRubric, value: Any, variable: str = "moyennes") -> dict[str, float]:
    """The student's means per prompt (a dict or a Series turned dict), keyed by prompt id; the
    student may name a prompt by its id or its title. CheckFailed when it is not such a dict."""
    if not isinstance(value, Mapping):
        raise CheckFailed(
            f"`{variable}` doit être un dictionnaire {{prompt: moyenne}}, "
            f"obtenu {type(value).__name__}"
        )
    names = {normalise(p.id): p.id for p in rubric.spec.prompts}
    names |= {normalise(p.title): p.id for p in rubric.spec.prompts if p.title}
    means: dict[str, float] = {}
    for name, mean in value.items():
        prompt = names.get(normalise(str(name)))
        if prompt is None:
            known = ", ".join(p.id for p in rubric.spec.prompts)
            raise CheckFailed(f"`{variable}` : prompt inconnu « {name} » (attendus : {known})")
        try:
            means[prompt] = float(mean)
        except (TypeError, ValueError):
            raise CheckFailed(
                f"`{variable}[{name!r}]` : attendu un nombre, obtenu {mean!r}"
            ) from None
    return means


def regenerate_outputs(
    nb: Any,
    rubric: LoadedRubric,
    provider: Provider,
    student: str,
    function: str = "construire_prompt",
) -> list[RecordedOutput]:
    """The student's prompts run again by grader: `function(prompt_id, input)` in the kernel
    builds each prompt (a plain text back), the provider answers it in the grader process.
    Outputs carry no student grade; a checks.py scores them like a recorded table."""
    outputs = []
    for prompt in rubric.spec.prompts:
        for case in rubric.spec.cases:
            text = nb.call(function, prompt.id, case.input)
            if not isinstance(text, str):
                raise CheckFailed(
                    f"{function}({prompt.id!r}, avis) doit renvoyer un texte, "
                    f"obtenu {type(text).__name__}"
                )
            outputs.append(RecordedOutput(student, case.id, prompt.id, provider.generate(text)))
    return outputs


def bench_section(result: BenchResult, title: str = "") -> Section:
    """The report section of kind "bench" (plain JSON), rendered by render_bench_data under
    `title`, the report's own heading (so the section leaves out its own)."""
    return Section(
        kind="bench",
        title=title or f"Benchmark de prompts : {result.title or result.rubric}",
        data={**result_to_dict(result), "embedded": True},
    )
