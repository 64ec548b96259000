"""`grader bench score` end to end: the TP3 rubric, a table of outputs, the files written."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.bench.cli import bench
from grader.bench.grading import score_outputs
from grader.bench.load import load_rubric
from grader.bench.records import read_outputs
from grader.bench.report import render_bench_section

RUBRIC = Path(__file__).parent.parent / "rubrics" / "tp3-prompting-bench.yaml"
COURSE = load_rubric(RUBRIC)


def alice_rows() -> list[dict[str, str]]:
    """Known scores: zero-shot answers the bare label (2 each: mean 2); few-shot answers
    "Sentiment : label" (label found, not equal: 2/3 of the weight -> 1; mean 1); structured
    answers valid JSON (2) except on the first 5 cases, wrapped in text (2/3 -> 1): mean 1.75."""
    rows = []
    for index, case in enumerate(COURSE.spec.cases):
        label = str(case.expected)
        document = json.dumps(
            {"sentiment": label, "justification": "l'avis le dit"}, ensure_ascii=False
        )
        structured = f"Voici : {document}" if index < 5 else document
        for prompt, output in (
            ("zero-shot", label.capitalize() + "."),
            ("few-shot", f"Sentiment : {label}"),
            ("structured", structured),
        ):
            rows.append(
                {
                    "student": "alice",
                    "case": case.id,
                    "prompt": prompt,
                    "output": output,
                    "grade": "2",
                }
            )
    return rows


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=["student", "case", "prompt", "output", "grade"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_score_writes_results_and_reports(tmp_path: Path) -> None:
    rows = alice_rows()
    rows += [
        {**row, "student": "bob", "output": "<script>alert('é')</script>", "grade": ""}
        for row in rows
        if row["prompt"] == "zero-shot"
    ]
    table = write_csv(tmp_path / "sorties.csv", rows)
    result = CliRunner().invoke(
        bench, ["score", str(RUBRIC), str(table), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    assert "alice: zero-shot 2.00*  few-shot 1.00  structured 1.75" in result.output
    assert "2 student(s) scored" in result.output

    alice = json.loads((tmp_path / "out/results/alice.json").read_text(encoding="utf-8"))
    assert (alice["schema_version"], alice["kind"], alice["rubric"]) == (
        1,
        "bench",
        "tp3-prompting-bench",
    )
    assert [p["mean"] for p in alice["prompts"]] == [2.0, 1.0, 1.75]
    assert alice["winners"] == ["zero-shot"]
    few_shot_case = alice["prompts"][1]["cases"][0]
    assert few_shot_case["grade"] == 1
    assert few_shot_case["reason"] == "attendu « positif », obtenu « Sentiment : positif »"
    assert alice["analysis"]["compared"] == 60
    assert len(alice["analysis"]["disagreements"]) == 25  # she gave 2 everywhere
    assert alice["analysis"]["means"][0] == {
        "prompt": "zero-shot",
        "recomputed": 2.0,
        "claimed": None,
        "graded": 20,
        "matches": None,
    }
    metrics = {m["type"]: m["value"] for m in alice["prompts"][2]["metrics"]}
    assert metrics == {"accuracy": 1.0, "macro-f1": 1.0}

    bob = json.loads((tmp_path / "out/results/bob.json").read_text(encoding="utf-8"))
    assert [p["mean"] for p in bob["prompts"]] == [0.0, 0.0, 0.0]
    assert bob["analysis"] is None
    page = (tmp_path / "out/reports/bob.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;é&#39;)&lt;/script&gt;" in page
    assert "aucune sortie" in page  # bob recorded nothing for two prompts
    assert '<html lang="fr">' in page and "<style>" in page


def test_section_shows_means_winner_agreement_and_reasons(tmp_path: Path) -> None:
    table = write_csv(tmp_path / "sorties.csv", alice_rows())
    [result] = score_outputs(COURSE, read_outputs(table).rows)
    html = render_bench_section(result)
    assert html.startswith('<section class="bench"')
    assert "Meilleur prompt : <strong>Zero-shot</strong>" in html
    assert "1,75\u00a0/\u00a02" in html
    assert "Accord avec la correction automatique : 58\u00a0%" in html  # 35 of 60
    assert "<th>Exactitude</th><th>F1 macro</th>" in html
    assert "Désaccords" in html
    assert "attendu « positif », obtenu « Sentiment : positif »" in html


def test_jsonl_and_json_format(tmp_path: Path) -> None:
    table = tmp_path / "sorties.jsonl"
    table.write_text(
        "\n".join(json.dumps(row, ensure_ascii=False) for row in alice_rows()) + "\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        bench,
        ["score", str(RUBRIC), str(table), "--out", str(tmp_path / "out"), "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    [alice] = json.loads(result.output)
    assert [p["mean"] for p in alice["prompts"]] == [2.0, 1.0, 1.75]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "s.csv",
            "student,case,prompt\nalice,a01,zero-shot\n",
            "grader: s.csv:1: missing column(s) output",
        ),
        ("s.txt", "x", "grader: s.txt: expected a .csv or .jsonl file of outputs"),
    ],
)
def test_bad_table_exits_2_naming_file_line_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, content: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path(name).write_text(content, encoding="utf-8")
    result = CliRunner().invoke(bench, ["score", str(RUBRIC), name, "--out", "out"])
    assert result.exit_code == 2
    assert result.output.startswith(message), result.output
    assert not Path("out").exists()


def test_bad_rubric_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("b.yaml").write_text(
        "id: b\nprompts: [{id: p}]\ncases: [{id: c, input: x}]\ndefault_assert: [{type: equal}]\n",
        encoding="utf-8",
    )
    Path("s.csv").write_text("student,case,prompt,output\nalice,c,p,x\n", encoding="utf-8")
    result = CliRunner().invoke(bench, ["score", "b.yaml", "s.csv", "--out", "out"])
    assert result.exit_code == 2
    assert result.output.startswith(
        "grader: b.yaml:4: default_assert[0]: unknown assertion type 'equal' "
        "(did you mean 'equals'?)"
    )


def test_instructor_function_that_raises_exits_1(tmp_path: Path) -> None:
    (tmp_path / "regles.py").write_text("def poli(output, case):\n    return output.index('!')\n")
    (tmp_path / "b.yaml").write_text(
        "id: b\nprompts: [{id: p}]\ncases: [{id: c, input: x}]\n"
        "default_assert: [{type: python, value: regles.py:poli}]\n"
    )
    (tmp_path / "s.csv").write_text("student,case,prompt,output\nalice,c,p,merci\n")
    result = CliRunner().invoke(
        bench,
        [
            "score",
            str(tmp_path / "b.yaml"),
            str(tmp_path / "s.csv"),
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 1
    alice = json.loads((tmp_path / "out/results/alice.json").read_text())
    [assertion] = alice["prompts"][0]["cases"][0]["assertions"]
    assert assertion["error"] is True
    assert "ValueError" in assertion["reason"]


def test_section_shows_claimed_means_ties_and_warnings(tmp_path: Path) -> None:
    from grader.bench.assertions import Tools
    from grader.bench.scoring import RecordedOutput, score_student

    rows = [
        RecordedOutput("alice", "a01", prompt, "positif", 2) for prompt in ("zero-shot", "few-shot")
    ]
    rows.append(RecordedOutput("alice", "a77", "zero-shot", "positif"))
    result = score_student(
        COURSE, "alice", rows, Tools(), claimed_means={"zero-shot": 2.0, "few-shot": 1.8}
    )
    html = render_bench_section(result)
    assert "Ex æquo : <strong>Zero-shot</strong>, <strong>Few-shot</strong>." in html
    assert "(annoncée : 2,00 ✓)" in html
    assert "(annoncée : 1,80 ✗)" in html
    assert "⚠ cas inconnu « a77 » ignoré (prompt « zero-shot »)" in html
    assert "κ de Cohen : non défini" in html  # both graded 2 everywhere
