"""The structural assertions promptfoo users reach for (issue 20, point 8): contains-json,
is-xml/contains-xml, is-html/contains-html, is-sql/contains-sql, word-count, assert-set, and
a case's own threshold; hostile outputs first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from grader.bench.assertions import Tools, evaluate
from grader.bench.load import parse_rubric
from grader.bench.rubric import Assertion, Case
from grader.bench.scoring import RecordedOutput, score_student
from grader.errors import ConfigError

ASSERTION = TypeAdapter(Assertion)
SCHEMA = {"type": "object", "required": ["sentiment"]}
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>'
)


def judge(spec: dict[str, Any], output: str) -> Any:
    case = Case.model_validate({"id": "c1", "input": "avis", "expected": "positif"})
    return evaluate(ASSERTION.validate_python(spec), output, case, Tools())


@pytest.mark.parametrize(
    ("output", "spec", "passed", "reason_part"),
    [
        # hostile outputs: deep nesting, runs of brackets, entity bombs, not-SQL that parses
        ("[" * 100_000, {"type": "contains-json"}, False, "aucun JSON"),
        ("{" * 50_000 + "}", {"type": "contains-json"}, False, "aucun JSON"),
        ("[" * 100_000, {"type": "is-json"}, False, "pas du JSON valide"),
        (BILLION_LAUGHS, {"type": "is-xml"}, False, "entité"),
        (BILLION_LAUGHS, {"type": "contains-xml"}, False, "aucun élément"),
        ("<a>" * 50_000, {"type": "contains-xml"}, False, "aucun élément"),
        ("<r>\ud800</r>", {"type": "is-xml"}, False, "caractère invalide"),
        ("voici <r>\ud800</r>", {"type": "contains-xml"}, False, "aucun élément"),
        ("bonjour monde", {"type": "is-sql"}, False, "pas une requête"),
        ("SELECT * FROM", {"type": "is-sql"}, False, "ligne 1"),
        ("SELECT * FROM t" + " JOIN t USING (a)" * 10_000, {"type": "is-sql"}, False, "trop long"),
        ("<script>alert(1)</script>", {"type": "is-html"}, False, "pas du HTML"),
        # contains-json: a fenced block, or JSON inside prose
        ('Voici :\n```json\n{"sentiment": "positif"}\n```', {"type": "contains-json"}, True, ""),
        ('Réponse : {"sentiment": "positif"} voilà', {"type": "contains-json"}, True, ""),
        (
            '{"label": 1} puis {"sentiment": "positif"}',
            {"type": "contains-json", "value": SCHEMA},
            True,
            "",
        ),
        ('{"label": "positif"}', {"type": "contains-json", "value": SCHEMA}, False, "sentiment"),
        ("{'sentiment': 'positif'}", {"type": "contains-json"}, False, "aucun JSON"),
        # is-xml / contains-xml, with required elements
        ("<avis><sentiment>positif</sentiment></avis>", {"type": "is-xml"}, True, ""),
        ("<avis><sentiment>positif</avis>", {"type": "is-xml"}, False, "ligne 1"),
        (
            "<avis><sentiment>positif</sentiment></avis>",
            {"type": "is-xml", "value": "avis.sentiment, avis"},
            True,
            "",
        ),
        (
            "<avis><label>positif</label></avis>",
            {"type": "is-xml", "value": ["avis.sentiment"]},
            False,
            "avis.sentiment",
        ),
        ("Voici : <r><s>positif</s></r> fin", {"type": "contains-xml"}, True, ""),
        ("Voici : <r><s>positif</s></r> fin", {"type": "is-xml"}, False, "mal formé"),
        ("a < b et c > d", {"type": "contains-xml"}, False, "aucun élément"),
        # is-html / contains-html
        ("<p>Avis <strong>positif</strong></p>", {"type": "is-html"}, True, ""),
        ("Le résultat : <p>positif</p>", {"type": "is-html"}, False, ""),
        ("Le résultat : <p>positif</p>", {"type": "contains-html"}, True, "<p>"),
        ("2 < 3 > 1", {"type": "contains-html"}, False, "aucun élément"),
        # is-sql / contains-sql, dialect and allowed tables
        ("SELECT nom FROM eleves WHERE note > 10", {"type": "is-sql"}, True, ""),
        (
            "WITH t AS (SELECT 1 AS x) SELECT x FROM t",
            {"type": "is-sql", "value": {"allowedTables": ["eleves"]}},
            True,
            "",
        ),
        (
            "SELECT * FROM eleves JOIN notes ON eleves.id = notes.eleve",
            {"type": "is-sql", "value": {"allowedTables": ["eleves"]}},
            False,
            "« notes »",
        ),
        (
            "SELECT `nom` FROM eleves",
            {"type": "is-sql", "value": {"databaseType": "MySQL"}},
            True,
            "",
        ),
        ("Voici :\n```sql\nSELECT 1\n```\nVoilà.", {"type": "contains-sql"}, True, ""),
        ("Voici :\n```sql\nSELECT 1\n```\nVoilà.", {"type": "is-sql"}, False, ""),
        # word-count: exact, or within bounds
        ("un deux trois", {"type": "word-count", "value": 3}, True, "3 mot(s)"),
        ("un deux trois", {"type": "word-count", "value": {"max": 2}}, False, "entre 0 et 2"),
        ("un  deux\ntrois", {"type": "word-count", "value": {"min": 2, "max": 5}}, True, ""),
        ("", {"type": "word-count", "value": {"min": 1}}, False, "au moins 1"),
        ("un", {"type": "not-word-count", "value": {"min": 2}}, True, "négation"),
    ],
)
def test_structured_assertions(
    output: str, spec: dict[str, Any], passed: bool, reason_part: str
) -> None:
    score = judge(spec, output)
    assert score.passed is passed, score.reason
    assert reason_part in score.reason


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "is-html", "value": "p"}, "takes no value"),
        ({"type": "is-sql", "value": {"databaseType": "dBase"}}, "unknown databaseType"),
        ({"type": "word-count", "value": {"min": 5, "max": 2}}, "must not exceed"),
        ({"type": "word-count", "value": {}}, "give min, max or both"),
        ({"type": "word-count", "value": -1}, "cannot be negative"),
        ({"type": "assert-set", "assert": []}, "at least 1"),
        ({"type": "contains-json", "value": {"type": "objet"}}, "invalid JSON schema"),
    ],
)
def test_bad_specs_are_refused(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ASSERTION.validate_python(spec)


SET = {
    "type": "assert-set",
    "threshold": 0.5,
    "assert": [
        {"type": "icontains", "value": "positif"},
        {"type": "word-count", "value": {"max": 3}},
        {"type": "regex", "value": "^[a-z]+$", "weight": 0},
    ],
}


def test_an_assert_set_passes_at_its_threshold_and_names_its_failures() -> None:
    score = judge(SET, "C'est clairement positif selon moi")
    assert score.passed
    assert score.value == 0.5
    assert score.reason.startswith("part validée du groupe = 0.50 ≥ 0.5 (word-count : 5 mot(s)")
    strict = judge({**SET, "threshold": None}, "C'est clairement positif selon moi")
    assert not strict.passed  # without a threshold every member must pass


RUBRIC = """\
id: seuils
prompts: [{id: p1}]
grid: {full: 1.0, partial: 0.5}
cases:
  - id: strict
    input: avis 1
    expected: positif
    assert: &checks
      - {type: icontains}
      - {type: word-count, value: 1}
      - {type: starts-with, value: "p"}
  - id: tolerant
    input: avis 2
    expected: positif
    threshold: 0.6
    assert: *checks
  - id: grouped
    input: avis 3
    expected: positif
    assert:
      - type: assert-set
        weight: 2
        assert:
          - {type: icontains}
          - {type: similr, value: positif}
"""


def test_a_case_threshold_is_the_share_that_earns_full_marks(tmp_path: Path) -> None:
    text = RUBRIC.replace("{type: similr, value: positif}", "{type: equals}")
    rubric = parse_rubric(text, tmp_path / "seuils.yaml")
    rows = [
        RecordedOutput("alice", case, "p1", "Positif, clairement")
        for case in ("strict", "tolerant", "grouped")
    ]
    result = score_student(rubric, "alice", rows, Tools())
    cases = {c.case: c for c in result.prompts[0].cases}
    # icontains passes, word-count and starts-with fail: share 1/3 in both cases
    assert cases["strict"].share == cases["tolerant"].share == pytest.approx(1 / 3)
    assert cases["strict"].grade == 0
    assert cases["tolerant"].grade == 0  # 1/3 < 0.6, and below the grid's partial 0.5
    rows[1] = RecordedOutput("alice", "tolerant", "p1", "positif, clairement")
    again = {c.case: c for c in score_student(rubric, "alice", rows, Tools()).prompts[0].cases}
    assert again["tolerant"].share == pytest.approx(2 / 3)
    assert again["tolerant"].grade == 2  # 2/3 >= the case's 0.6: full marks
    assert again["grouped"].grade == 0  # the set needs both members; equals is exact


def test_a_typo_inside_an_assert_set_is_located(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_rubric(RUBRIC, tmp_path / "seuils.yaml")
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'seuils.yaml'}:25: cases[2].assert[0].assert[1]: ")
    assert "unknown assertion type 'similr' (did you mean 'similar'?)" in message
