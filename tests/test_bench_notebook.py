"""The notebook path of prompt benchmarks: the student's table read through a real kernel, the
checks' helpers on French tables, and the "bench" report section rendered from its JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grader.bench.grading import tools_for
from grader.bench.load import load_rubric
from grader.bench.notebook import (
    bench_section,
    claimed_means,
    regenerate_outputs,
    table_records,
)
from grader.bench.providers import OpenAICompatible
from grader.bench.report import render_bench_data, render_bench_section
from grader.bench.scoring import score_student
from grader.bench.student_table import grades_by_prompt, read_student_table, table_problems
from grader.checks.api import CheckFailed
from grader.checks.probe import MissingName, Notebook
from grader.report.html import render_section
from grader.sandbox.limits import Limits
from tests.conftest import local_endpoint, module_notebook
from tests.test_bench_providers import ChatServer

RUBRIC = load_rubric(Path(__file__).parent.parent / "rubrics" / "tp3-prompting-bench.yaml")
CASES = [(case.id, case.input, str(case.expected)) for case in RUBRIC.spec.cases]
PROMPTS = ("zero-shot", "few-shot", "structured")


def full_table(grade: int = 2) -> list[dict[str, Any]]:
    return [
        {"cas": case, "prompt": prompt, "sortie": label, "note": grade}
        for case, _, label in CASES
        for prompt in PROMPTS
    ]


def _without(rows: list[dict[str, Any]], key: str, index: int = 0) -> list[dict[str, Any]]:
    changed = [dict(row) for row in rows]
    del changed[index][key]
    return changed


def _with(rows: list[dict[str, Any]], index: int, **fields: Any) -> list[dict[str, Any]]:
    changed = [dict(row) for row in rows]
    changed[index].update(fields)
    return changed


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        (full_table(), []),
        (
            [
                {"avis": text, "Prompt": p, "Réponse": "x", "Note": "1"}
                for _, text, _ in CASES
                for p in PROMPTS
            ],
            [],
        ),
        (_with(full_table(), 4, note=3), ["ligne 5 : note 3 ignorée : attendu 0, 1 ou 2"]),
        (_with(full_table(), 0, note=None), ["ligne 1 : note absente"]),
        (
            _without(full_table(), "sortie"),
            [
                "ligne 1 : colonne(s) absente(s) : output",
                "prompt « zero-shot » : 19 cas distincts sur 19 ligne(s), attendu 20 cas, une ligne "
                "chacun",
            ],
        ),
        (
            _without(full_table(), "cas", 2),
            [
                "ligne 3 : colonne(s) absente(s) : cas (ou entrée)",
                "prompt « structured » : 19 cas distincts sur 19 ligne(s), attendu 20 cas, une ligne "
                "chacun",
            ],
        ),
        (
            _with(full_table(), 3, cas="a01"),
            [
                "prompt « zero-shot » : 19 cas distincts sur 20 ligne(s), attendu 20 cas, une ligne "
                "chacun",
            ],
        ),
        (
            [r for r in full_table() if r["prompt"] != "few-shot"],
            ["2 prompt(s) dans le tableau, attendu 3"],
        ),
        ([*full_table(), "a02"], ["ligne 61 : attendu un dictionnaire, obtenu str"]),
    ],
)
def test_table_problems_say_what_is_missing_in_french(
    records: list[Any], expected: list[str]
) -> None:
    assert table_problems(records, prompts=3, cases=20) == expected


def test_grades_by_prompt_groups_names_as_written_and_skips_bad_grades() -> None:
    records = [
        {"prompt": "Few-shot", "note": 2},
        {"prompt": "few-shot ", "note": "1"},
        {"prompt": "FEW SHOT", "note": 1.0},
        {"prompt": "Prompt structuré (JSON)", "note": 0},
        {"prompt": "zero-shot", "note": 3},  # not on the grid: ignored
        {"prompt": "zero-shot", "note": None},
        {"note": 2},  # no prompt
    ]
    assert grades_by_prompt(records) == {"few shot": [2, 1, 1], "prompt structure json": [0]}


def test_claimed_means_accept_ids_and_titles() -> None:
    means = claimed_means(RUBRIC, {"Zero-shot": 1.15, "few-shot": 2, "Prompt structuré (JSON)": 1})
    assert means == {"zero-shot": 1.15, "few-shot": 2.0, "structured": 1.0}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([1.0, 2.0], "`moyennes` doit être un dictionnaire {prompt: moyenne}, obtenu list"),
        (
            {"chain-of-thought": 1.5},
            "`moyennes` : prompt inconnu « chain-of-thought » "
            "(attendus : zero-shot, few-shot, structured)",
        ),
        ({"few-shot": "beaucoup"}, "`moyennes['few-shot']` : attendu un nombre, obtenu 'beaucoup'"),
    ],
)
def test_claimed_means_refuse_what_is_not_a_mean_per_prompt(value: Any, message: str) -> None:
    with pytest.raises(CheckFailed) as failure:
        claimed_means(RUBRIC, value)
    assert failure.value.message == message


def student_result() -> Any:
    """Zero-shot answers « Réponse : label » (label found, not equal: 1), few-shot the bare
    label (2) but « positif » for a03, structured valid JSON (2); the student grades all 2."""
    rows = []
    for case, _, label in CASES:
        document = json.dumps({"sentiment": label}, ensure_ascii=False)
        few = "positif" if case == "a03" else label
        for prompt, output in zip(PROMPTS, (f"Réponse : « {label} »", few, document), strict=True):
            rows.append({"cas": case, "prompt": prompt, "sortie": output, "note": 2})
    table = read_student_table(RUBRIC, "ines", rows)
    means = {"zero-shot": 2.0, "few-shot": 2.0, "structured": 2.0}
    return score_student(RUBRIC, "ines", table.rows, tools_for(RUBRIC), means, table.warnings)


def test_the_section_travels_as_json_and_renders_as_the_result_does() -> None:
    result = student_result()
    assert [p.mean for p in result.prompts] == [1.0, 1.9, 2.0]
    assert result.winners == ("structured",)
    section = bench_section(result, "Expérience 10")
    carried = json.loads(json.dumps(section.data))  # as a result file stores it
    assert section.kind == "bench" and carried["kind"] == "bench"
    standalone = render_bench_section(result)
    assert "<h2>Benchmark de prompts : TP3" in standalone
    assert render_bench_data({**carried, "embedded": False}) == standalone
    assert render_bench_data(carried) == standalone.replace(
        "  <h2>Benchmark de prompts : TP3 : zero-shot, few-shot et prompt structuré</h2>\n", ""
    )


def test_the_grading_report_renders_bench_sections() -> None:
    section = bench_section(student_result(), "Expérience 10")
    html = str(render_section(json.loads(json.dumps(section.__dict__))))
    assert "Réponse : « positif »" in html.replace("&#34;", '"').replace("&#39;", "'")
    assert "Meilleur prompt : <strong>Prompt structuré (JSON)</strong>" in html
    assert "annoncée : 2,00 ✓" in html and "annoncée : 2,00 ✗" not in html  # recomputed 2
    assert "Notes comparées : 60." in html
    assert html.count("<td>a03</td>") == 3 + 2  # 3 prompts, 2 disagreements (zero/few-shot)


TABLE_CELLS = [
    "import numpy as np",
    # numpy grades and a NaN output, as a student's computations leave them
    "rows = [{'cas': 'a01', 'prompt': 'zero-shot', 'sortie': 'positif', 'note': np.int64(2)},\n"
    "        {'cas': 'a02', 'prompt': 'zero-shot', 'sortie': float('nan'), 'note': np.float64(1)}]",
    "columns = {'case': ['a01', 'a02'], 'prompt': ['Few-shot', 'Few-shot'],\n"
    "           'output': ['positif', 'négatif'], 'grade': [2, 0]}",
    # what pandas gives: records through to_json
    "class Frame:\n"
    "    def to_json(self, orient, force_ascii):\n"
    "        import json\n"
    "        return json.dumps([{'cas': 'a03', 'sortie': 'neutre', 'note': 2}])\n"
    "frame = Frame()",
    "count = 3",
    "def construire_prompt(nom, avis):\n    return f'{nom} : {avis}'",
    "def compter(nom, avis):\n    return len(avis)",
]


nb = module_notebook(TABLE_CELLS, Limits(cell_timeout_s=10, message_bytes=1_000_000), 5)


@pytest.mark.kernel
def test_tables_come_back_as_plain_records(nb: Notebook) -> None:
    rows = table_records(nb, "rows")
    assert rows[0] == {"cas": "a01", "prompt": "zero-shot", "sortie": "positif", "note": "2"}
    assert rows[1]["note"] == 1.0 and rows[1]["sortie"] != rows[1]["sortie"]  # NaN
    assert table_records(nb, "columns") == [
        {"case": "a01", "prompt": "Few-shot", "output": "positif", "grade": 2},
        {"case": "a02", "prompt": "Few-shot", "output": "négatif", "grade": 0},
    ]
    assert table_records(nb, "frame") == [{"cas": "a03", "sortie": "neutre", "note": 2}]
    table = read_student_table(RUBRIC, "x", rows)
    assert [(r.case, r.student_grade) for r in table.rows] == [("a01", 2)]
    assert table.warnings == ("ligne 2 du tableau : colonne(s) absente(s) : output, ignorée",)


@pytest.mark.kernel
def test_what_is_not_a_table_is_a_failure_and_a_missing_one_an_error(nb: Notebook) -> None:
    with pytest.raises(CheckFailed) as failure:
        table_records(nb, "count")
    assert failure.value.message.startswith("`count` doit être un tableau")
    with pytest.raises(MissingName):
        table_records(nb, "resultats")


@pytest.fixture
def chat_server() -> Iterator[str]:
    """A local chat-completions endpoint: « négatif » when the prompt says déçu, cassé or
    Impossible, else « positif »."""
    ChatServer.received = []
    with local_endpoint(ChatServer) as url:
        yield url


@pytest.mark.kernel
def test_the_students_prompts_are_run_again_through_a_provider(
    nb: Notebook, chat_server: str
) -> None:
    """The server finds négatif in a02 and a05 only, positif everywhere else: right on the 7
    positive reviews and those 2, 9 of 20. A bare label is worth 2 on zero- and few-shot (0.9)
    and 1 on structured, which wants JSON (0.45)."""
    provider = OpenAICompatible(chat_server, "petit-modele")
    outputs = regenerate_outputs(nb, RUBRIC, provider, "ines")
    assert len(outputs) == 60 and {o.student_grade for o in outputs} == {None}
    prompts = [r["body"]["messages"][0]["content"] for r in ChatServer.received]
    assert prompts[22] == "few-shot : Le colis est arrivé mardi, comme prévu."
    result = score_student(RUBRIC, "ines", outputs, tools_for(RUBRIC))
    assert [p.mean for p in result.prompts] == [0.9, 0.9, 0.45]
    assert result.analysis is None  # nothing graded by the student
    with pytest.raises(CheckFailed) as failure:
        regenerate_outputs(nb, RUBRIC, provider, "ines", function="compter")
    assert failure.value.message == "compter('zero-shot', avis) doit renvoyer un texte, obtenu int"
