"""Each assertion type on French outputs: accents, « guillemets », elisions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from grader.bench.assertions import AssertionScore, Tools, evaluate
from grader.bench.load import parse_rubric
from grader.bench.rubric import Assertion, Case

ASSERTION = TypeAdapter(Assertion)
SENTIMENT_SCHEMA = {
    "type": "object",
    "required": ["sentiment"],
    "properties": {"sentiment": {"enum": ["positif", "négatif", "neutre"]}},
}


def judge(
    spec: dict[str, Any],
    output: str,
    expected: str | None = None,
    schema: dict[str, Any] | None = None,
    tools: Tools | None = None,
) -> AssertionScore:
    case = Case.model_validate(
        {"id": "c1", "input": "avis", "expected": expected, "schema": schema}
    )
    return evaluate(ASSERTION.validate_python(spec), output, case, tools or Tools())


@pytest.mark.parametrize(
    ("spec", "output", "expected", "passed"),
    [
        # equals: exact, as in promptfoo
        ({"type": "equals"}, "négatif", "négatif", True),
        ({"type": "equals"}, "Négatif.", "négatif", False),
        ({"type": "equals"}, "négatif ", "négatif", False),
        # equals-normalised: case, accents, punctuation and whitespace ignored by default
        ({"type": "equals-normalised"}, "Négatif.", "négatif", True),
        ({"type": "equals-normalised"}, "  NEGATIF !", "négatif", True),
        ({"type": "equals-normalised"}, "« Réponse : positif »", "réponse positif", True),
        ({"type": "equals-normalised"}, "l’apprentissage", "l'apprentissage", True),
        ({"type": "equals-normalised"}, "négatif, plutôt", "négatif", False),
        ({"type": "equals-normalised", "ignore": ["case"]}, "Négatif", "negatif", False),
        (
            {"type": "equals-normalised", "ignore": ["case", "whitespace"]},
            " NÉGATIF ",
            "négatif",
            True,
        ),
        ({"type": "equals-normalised", "ignore": []}, "Négatif", "négatif", False),
        (
            {"type": "equals", "value": {"sentiment": "négatif"}},
            '{"sentiment": "négatif"}',
            None,
            True,
        ),
        (
            {"type": "equals", "value": {"sentiment": "négatif"}},
            '{"sentiment": "negatif"}',
            None,
            False,
        ),
        ({"type": "equals", "value": {"sentiment": "négatif"}}, "négatif", None, False),
        ({"type": "not-equals", "value": "positif"}, "négatif", None, True),
        # contains / icontains
        ({"type": "contains"}, "Le sentiment est négatif.", "négatif", True),
        ({"type": "contains"}, "Le sentiment est NÉGATIF.", "négatif", False),
        ({"type": "icontains"}, "Le sentiment est NÉGATIF.", "négatif", True),
        ({"type": "icontains"}, "Le sentiment est negatif.", "négatif", False),
        ({"type": "contains", "value": "« réponse »"}, "Voici ma « réponse » finale", None, True),
        ({"type": "not-icontains", "value": "je ne sais pas"}, "Je ne sais pas.", None, False),
        ({"type": "not-contains", "value": "désolé"}, "Positif.", None, True),
        # contains-any / contains-all and their case-insensitive forms
        ({"type": "contains-any", "value": ["positif", "négatif"]}, "plutôt négatif", None, True),
        ({"type": "contains-any", "value": ["positif", "négatif"]}, "neutre", None, False),
        ({"type": "icontains-any", "value": ["positif", "négatif"]}, "NÉGATIF", None, True),
        (
            {"type": "contains-all", "value": ["l'apprentissage", "réponse"]},
            "l'apprentissage guide la réponse",
            None,
            True,
        ),
        (
            {"type": "contains-all", "value": ["l'apprentissage", "réponse"]},
            "l'apprentissage seul",
            None,
            False,
        ),
        ({"type": "icontains-all", "value": ["Été", "élève"]}, "un ÉLÈVE en été", None, True),
        (
            {"type": "not-contains-any", "value": ["désolé", "je ne peux pas"]},
            "positif",
            None,
            True,
        ),
        # starts-with: exact, as in promptfoo (leading whitespace counts)
        ({"type": "starts-with", "value": "Réponse :"}, "Réponse : positif", None, True),
        ({"type": "starts-with", "value": "Réponse :"}, "\n Réponse : positif", None, False),
        ({"type": "starts-with", "value": "Réponse :"}, "Ma réponse : positif", None, False),
        ({"type": "starts-with"}, "négatif car…", "négatif", True),
        # regex
        ({"type": "regex", "value": r"\bnégati(f|ve)\b"}, "Sentiment : négative.", None, True),
        ({"type": "regex", "value": r"^\s*(positif|négatif|neutre)\s*$"}, "négatif", None, True),
        (
            {"type": "regex", "value": r"^\s*(positif|négatif|neutre)\s*$"},
            "c'est négatif",
            None,
            False,
        ),
        ({"type": "regex", "value": "NÉGATIF", "ignore_case": True}, "négatif", None, True),
        ({"type": "not-regex", "value": r"\d"}, "zéro chiffre", None, True),
    ],
)
def test_text_assertions(
    spec: dict[str, Any], output: str, expected: str | None, passed: bool
) -> None:
    score = judge(spec, output, expected)
    assert score.passed is passed, score.reason
    assert score.reason
    assert score.type == spec["type"]


@pytest.mark.parametrize(
    ("spec", "output", "schema", "passed", "reason_part"),
    [
        ({"type": "is-json"}, '{"sentiment": "négatif"}', None, True, "JSON valide"),
        ({"type": "is-json"}, ' \n{"sentiment": "négatif"}\n', None, True, "JSON valide"),
        ({"type": "is-json"}, 'Voici : {"sentiment": "négatif"}', None, False, "colonne 1"),
        ({"type": "is-json"}, "{'sentiment': 'négatif'}", None, False, "pas du JSON"),
        (
            {"type": "is-json", "value": SENTIMENT_SCHEMA},
            '{"sentiment": "négatif"}',
            None,
            True,
            "conforme",
        ),
        (
            {"type": "is-json", "value": SENTIMENT_SCHEMA},
            '{"sentiment": "negatif"}',
            None,
            False,
            "sentiment",
        ),
        ({"type": "not-is-json"}, "négatif", None, True, "négation"),
        (
            {"type": "json-schema"},
            '{"sentiment": "neutre", "justification": "l\'avis"}',
            SENTIMENT_SCHEMA,
            True,
            "conforme",
        ),
        ({"type": "json-schema"}, '{"label": "neutre"}', SENTIMENT_SCHEMA, False, "racine"),
        ({"type": "json-schema"}, "[]", SENTIMENT_SCHEMA, False, "non conforme"),
        (
            {"type": "json-schema", "value": {"type": "array", "items": {"type": "string"}}},
            '["été", "élève"]',
            None,
            True,
            "conforme",
        ),
    ],
)
def test_json_assertions(
    spec: dict[str, Any],
    output: str,
    schema: dict[str, Any] | None,
    passed: bool,
    reason_part: str,
) -> None:
    score = judge(spec, output, schema=schema)
    assert score.passed is passed
    assert reason_part in score.reason


@pytest.mark.parametrize(
    ("spec", "output", "expected", "passed", "value"),
    [
        # levenshtein: distance in characters, default threshold 5
        ({"type": "levenshtein"}, "l'apprentisage", "l'apprentissage", True, 1),
        ({"type": "levenshtein"}, "reponse", "réponse", True, 1),
        ({"type": "levenshtein", "threshold": 0}, "reponse", "réponse", False, 1),
        (
            {"type": "levenshtein", "threshold": 0, "normalize": True},
            "Reponse.",
            "réponse",
            True,
            0,
        ),
        ({"type": "levenshtein"}, "apprentissage profond", "l'apprentissage", False, 10),
        ({"type": "not-levenshtein", "threshold": 2}, "positif", "négatif", True, 4),
        # rouge-f1: F-measure of shared word n-grams; French words kept whole
        ({"type": "rouge-f1"}, "la réponse est positive", "La réponse positive", True, 6 / 7),
        (
            {"type": "rouge-f1", "n": 2},
            "la réponse est positive",
            "La réponse positive",
            False,
            0.4,
        ),
        (
            {"type": "rouge-f1", "threshold": 0.5},
            "l'élève a été reçu",
            "l'élève été reçu",
            True,
            8 / 9,
        ),
        ({"type": "rouge-f1"}, "réponse", "ponse", False, 0.0),
        ({"type": "not-rouge-f1"}, "sans rapport", "l'apprentissage", True, 0.0),
        # rouge-n: promptfoo's ROUGE-N recall, case-sensitive Treebank tokens
        ({"type": "rouge-n"}, "la réponse est positive", "la réponse positive", True, 1.0),
        ({"type": "rouge-n"}, "la réponse est positive", "La réponse positive", False, 2 / 3),
        ({"type": "rouge-n", "n": 2}, "la réponse est positive", "la réponse positive", False, 0.5),
        ({"type": "not-rouge-n"}, "sans rapport", "l'apprentissage", True, 0.0),
        # bleu (promptfoo's), chrf (sacrebleu), 0-1 scale
        (
            {"type": "bleu"},
            "l'apprentissage automatique est une branche de l'IA",
            "l'apprentissage automatique est une branche de l'IA",
            True,
            1.0,
        ),
        (
            {"type": "bleu"},
            "le chat dort",
            "l'apprentissage automatique est une branche de l'IA",
            False,
            None,
        ),
        ({"type": "chrf"}, "l'apprentissage automatique", "l'apprentisage automatique", True, None),
        (
            {"type": "chrf", "threshold": 0.9},
            "apprentissage",
            "l'apprentissage profond",
            False,
            None,
        ),
    ],
)
def test_metric_assertions(
    spec: dict[str, Any], output: str, expected: str, passed: bool, value: float | None
) -> None:
    score = judge(spec, output, expected)
    assert score.passed is passed, score.reason
    assert score.value is not None
    if value is not None:
        assert score.value == pytest.approx(value)


def test_weight_and_metric_are_kept() -> None:
    score = judge({"type": "icontains", "weight": 0, "metric": "format"}, "Négatif", "négatif")
    assert (score.weight, score.metric, score.passed) == (0, "format", True)


def test_a_weight_zero_assertion_is_measured_and_never_fails() -> None:
    score = judge({"type": "rouge-n", "weight": 0}, "sans rapport", "la réponse attendue")
    assert score.passed
    assert score.value == 0.0
    assert score.reason == "mesure seule, non comptée : ROUGE-1 = 0.00 < 0.75"


def test_negation_says_so_in_the_reason() -> None:
    score = judge({"type": "not-icontains", "value": "désolé"}, "Désolé, je ne peux pas.")
    assert not score.passed
    assert score.reason == "négation attendue : « désolé » présent dans la sortie"


INSTRUCTOR = """
def un_seul_label(output, case):
    labels = [l for l in ("positif", "négatif", "neutre") if l in output.lower()]
    return len(labels) == 1

def longueur(output, case):
    return min(1.0, len(output.split()) / 10), f"{len(output.split())} mots"

def plante(output, case):
    return 1 / 0

def texte(output, case):
    return "oui"
"""


@pytest.mark.parametrize(
    ("function", "threshold", "output", "passed", "error", "reason_part"),
    [
        ("un_seul_label", None, "Négatif.", True, False, "validé"),
        ("un_seul_label", None, "positif ou négatif", False, False, "refusé"),
        ("longueur", None, "l'avis est clairement négatif à cause du délai", True, False, "8 mots"),
        ("longueur", 0.9, "l'avis est clairement négatif à cause du délai", False, False, "8 mots"),
        ("plante", None, "négatif", False, True, "ZeroDivisionError"),
        ("texte", None, "négatif", False, True, "renvoyé str"),
    ],
)
def test_python_assertion_calls_the_instructors_function(
    tmp_path: Path,
    function: str,
    threshold: float | None,
    output: str,
    passed: bool,
    error: bool,
    reason_part: str,
) -> None:
    (tmp_path / "fonctions.py").write_text(INSTRUCTOR, encoding="utf-8")
    extra = f"\n    threshold: {threshold}" if threshold is not None else ""
    rubric = parse_rubric(
        f"id: b\nprompts: [{{id: p}}]\ncases: [{{id: c1, input: avis}}]\n"
        f"default_assert:\n  - type: python\n    value: fonctions.py:{function}{extra}\n",
        tmp_path / "bench.yaml",
    )
    assertion = rubric.spec.default_assert[0]
    score = evaluate(assertion, output, rubric.spec.cases[0], Tools(functions=rubric.functions))
    assert (score.passed, score.error) == (passed, error)
    assert reason_part in score.reason


def test_similar_uses_the_given_similarity_and_threshold() -> None:
    # the real model is exercised in test_bench_similar.py; here, the any-of and not- rules
    def by_shared_words(text: str, references: Any) -> list[float]:
        words = set(text.split())
        return [len(words & set(r.split())) / len(words | set(r.split())) for r in references]

    tools = Tools(similarity=by_shared_words, similar_threshold=0.5)
    spec = {"type": "similar", "value": ["une réponse fausse", "la réponse est juste"]}
    assert judge(spec, "la réponse est juste", tools=tools).passed
    assert judge({**spec, "threshold": 1.0}, "la réponse juste", tools=tools).passed is False
    assert judge({**spec, "type": "not-similar"}, "sans rapport", tools=tools).passed
