"""A bad benchmark rubric gets one message naming file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.bench.load import load_rubric, parse_rubric
from grader.errors import ConfigError

HEAD = "id: b\nprompts:\n  - id: zero-shot\n  - id: few-shot\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            HEAD + "cases:\n  - id: c1\n    input: avis\n    expected: positif\n"
            "    assert:\n      - type: contain\n",
            "b.yaml:10: cases[0].assert[0]: unknown assertion type 'contain' "
            "(did you mean 'contains'?)",
        ),
        (
            HEAD + "cases:\n  - id: c1\n    input: avis\n    assert:\n      - value: oui\n",
            "b.yaml:9: cases[0].assert[0]: missing 'type'",
        ),
        (
            HEAD + "cases:\n  - id: c1\n    input: avis\n    assert:\n"
            "      - type: levenshtein\n        value: oui\n        treshold: 2\n",
            "b.yaml:11: cases[0].assert[0]: unknown key 'treshold' (did you mean 'threshold'?)",
        ),
        (
            HEAD + "cases:\n  - id: c1\n    input: avis\n    assert:\n"
            "      - type: rouge-n\n        value: oui\n        n: cinq\n",
            'b.yaml:11: cases[0].assert[0].n: expected a whole number, got "cinq"',
        ),
        (
            HEAD + "cases:\n  - id: c1\n    input: avis\n    assert:\n"
            "      - type: regex\n        value: '(positif'\n",
            "b.yaml:10: cases[0].assert[0].value: invalid regular expression",
        ),
        (
            HEAD + "cases:\n  - id: c1\n    input: avis\n    schema: {type: objet}\n",
            "b.yaml:8: cases[0].schema: invalid JSON schema",
        ),
        (
            HEAD + "cases:\n  - id: c1\n    input: avis\n    assert:\n"
            "      - type: contains-any\n        value: []\n",
            "b.yaml:10: cases[0].assert[0].value: List should have at least 1 item",
        ),
        (
            HEAD + "cases:\n  - id: c1\n    input: avis\n    assert:\n"
            "      - type: bleu\n        value: oui\n        threshold: 50\n",
            "b.yaml:11: cases[0].assert[0].threshold: must be less than or equal to 1, got 50",
        ),
        (
            HEAD + "cases:\n  - id: c1\n    input: avis\ndefault_assert:\n  - type: equals\n",
            "b.yaml:6: cases[0]: case 'c1' has no 'expected', which default_assert[0] (equals) "
            "compares with",
        ),
        (
            HEAD + "cases:\n  - id: c1\n    input: avis\n    expected: oui\n"
            "  - id: c1\n    input: avis 2\n    expected: non\ndefault_assert:\n  - type: equals\n",
            "b.yaml:9: cases[1].id: duplicate id 'c1'",
        ),
        (
            HEAD + "cases:\n  - id: c1\n    input: avis\n    expected: oui\n"
            "default_assert:\n  - type: equals\n    prompts: [fewshot]\n  - type: icontains\n",
            "b.yaml:11: default_assert[0].prompts: unknown prompt 'fewshot' "
            "(did you mean 'few-shot'?)",
        ),
        (
            HEAD + "cases:\n  - id: c1\n    input: avis\n    expected: oui\n"
            "default_assert:\n  - type: equals\n    weight: 0\n",
            "b.yaml:6: cases[0]: case 'c1' has no assertion with a weight above 0 for prompt "
            "'zero-shot'",
        ),
        (
            HEAD + "cases:\n  - id: c1\n    input: avis\n    expected: oui\n"
            "default_assert:\n  - type: similar\n",
            "b.yaml:10: default_assert[0]: 'similar' without a threshold needs similar_examples",
        ),
        (
            HEAD + "cases:\n  - id: c1\n    input: avis\n    expected: oui\n"
            "default_assert:\n  - type: python\n    value: absent.py:f\n",
            "b.yaml:11: default_assert[0].value: file not found",
        ),
        (
            HEAD + "cases:\n  - id: c1\n    input: avis\n    expected: oui\n"
            "default_assert:\n  - type: python\n    value: f\n",
            "b.yaml:11: default_assert[0].value: expected 'file.py:function', got 'f'",
        ),
        (
            HEAD + "labels: [positif, négatif]\nmetrics: [{type: accuracy}]\n"
            "cases:\n  - id: c1\n    input: avis\n    expected: neutre\n"
            "default_assert:\n  - type: equals\n",
            "b.yaml:10: cases[0].expected: expected one of the labels positif, négatif",
        ),
        (
            HEAD + "metrics: [{type: f1}]\ncases:\n  - id: c1\n    input: avis\n",
            "b.yaml:5: metrics[0].type: expected 'accuracy' or 'macro-f1', got \"f1\"",
        ),
        (
            HEAD + "grid: {full: 0.5, partial: 0.8}\ncases:\n  - id: c1\n    input: avis\n",
            "b.yaml:5: grid: partial (0.8) must not exceed full (0.5)",
        ),
        (
            "id: b\nprompts: []\ncases:\n  - id: c1\n    input: avis\n",
            "b.yaml:2: prompts: List should have at least 1 item",
        ),
        (
            "id: b\nprompts:\n  - id: p\n    template: Quel sentiment ?\n"
            "cases: [{id: c, input: x}]\n",
            "b.yaml:4: prompts[0].template: the template never uses {input}",
        ),
    ],
)
def test_error_names_file_line_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as raised:
        parse_rubric(text, "b.yaml")
    assert str(raised.value).startswith(expected), str(raised.value)


def test_the_course_rubric_loads() -> None:
    rubric = load_rubric(Path(__file__).parent.parent / "rubrics" / "tp3-prompting-bench.yaml")
    assert [p.id for p in rubric.spec.prompts] == ["zero-shot", "few-shot", "structured"]
    assert len(rubric.spec.cases) == 20
    assert {c.expected for c in rubric.spec.cases} == set(rubric.spec.labels)
    structured = [a.kind for a in rubric.assertions_for(rubric.spec.cases[0], "structured")]
    assert structured == ["icontains", "is-json"]


def test_python_function_is_imported_next_to_the_rubric(tmp_path: Path) -> None:
    (tmp_path / "regles.py").write_text("def poli(output, case):\n    return 'merci' in output\n")
    with pytest.raises(ConfigError, match=r"regles\.py has no function 'impoli'"):
        parse_rubric(
            "id: b\nprompts: [{id: p}]\ncases: [{id: c1, input: avis}]\n"
            "default_assert:\n  - type: python\n    value: regles.py:poli\n  - type: python\n"
            "    value: regles.py:impoli\n",
            tmp_path / "b.yaml",
        )
    loaded = parse_rubric(
        "id: b\nprompts: [{id: p}]\ncases: [{id: c1, input: avis}]\n"
        "default_assert:\n  - type: python\n    value: regles.py:poli\n",
        tmp_path / "b.yaml",
    )
    assert loaded.functions["regles.py:poli"]("merci beaucoup", loaded.spec.cases[0]) is True
