"""Assertions that share a name with promptfoo give promptfoo's verdicts (issue 20, point 7);
grader's French variants keep their own names; thresholds never contradict their message.

Expected values are worked by hand from promptfoo's source (src/assertions/*.ts, js-rouge) or
are NLTK's published doctest values for the same formulas.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import TypeAdapter

from grader.bench.assertions import Tools, compared, evaluate
from grader.bench.overlap import bleu, gleu, meteor, rouge_recall, treebank_words
from grader.bench.rubric import Assertion, Case

ASSERTION = TypeAdapter(Assertion)
REFERENCE = "Le modèle de langue prédit le mot suivant."
EXTRA = "Il est entraîné sur de grands corpus."


def judge(spec: dict[str, Any], output: str, expected: str | None = None) -> Any:
    case = Case.model_validate({"id": "c1", "input": "question", "expected": expected})
    return evaluate(ASSERTION.validate_python(spec), output, case, Tools())


# The comparison table of the issue: same name, promptfoo's verdict; grader's variant renamed.
@pytest.mark.parametrize(
    ("spec", "output", "expected", "passed", "value"),
    [
        # reference + one extra sentence: ROUGE-1 recall 1.00, pass (promptfoo) ...
        ({"type": "rouge-n"}, f"{EXTRA} {REFERENCE}", REFERENCE, True, 1.0),
        # ... after it, js-rouge keeps "suivant." whole (only the text's last stop is split):
        # 8 of the reference's 9 tokens, still a pass
        ({"type": "rouge-n"}, f"{REFERENCE} {EXTRA}", REFERENCE, True, 8 / 9),
        # the F-measure (grader's rouge-f1): recall 8/8, precision 8/15 -> 16/23, a fail
        ({"type": "rouge-f1"}, f"{REFERENCE} {EXTRA}", REFERENCE, False, 16 / 23),
        # js-rouge is case-sensitive and counts distinct candidate words: "Le" is not "le"
        ({"type": "rouge-n"}, "le modèle", "Le modèle", False, 0.5),
        ({"type": "rouge-n"}, "modèle modèle", "modèle modèle", False, 0.5),
        # equals is exact; equals-normalised ignores case, accents, punctuation, spaces
        ({"type": "equals"}, "Négatif.", "négatif", False, None),
        ({"type": "equals-normalised"}, "Négatif.", "négatif", True, None),
        # starts-with does not strip the output's leading spaces
        ({"type": "starts-with"}, " négatif", "négatif", False, None),
        # BLEU on lower-cased words split on spaces: "mat." is not "mat";
        # precisions 5/6, 4/5, 3/4, 2/3, equal lengths: (1/3) ** (1/4)
        ({"type": "bleu"}, "The cat sat on the mat.", "the cat sat on the mat", True, 3**-0.25),
        # NLTK's sentence_gleu doctest (hyp2, ref2a): 15/19
        (
            {"type": "gleu"},
            "he read the book because he was interested in world history",
            "he was interested in world history because he read the book",
            True,
            15 / 19,
        ),
        # NLTK's meteor_score doctest: four identical words, one chunk: 0.9921875
        ({"type": "meteor"}, "this is a test", "this is a test", True, 0.9921875),
    ],
)
def test_promptfoo_comparison_table(
    spec: dict[str, Any], output: str, expected: str, passed: bool, value: float | None
) -> None:
    score = judge(spec, output, expected)
    assert score.passed is passed, score.reason
    if value is not None:
        assert score.value == pytest.approx(value)


def test_a_weight_zero_assertion_passes_and_does_not_lower_the_share() -> None:
    score = judge({"type": "equals", "weight": 0}, "Négatif.", "négatif")
    assert score.passed and score.weight == 0
    assert score.reason.startswith("mesure seule, non comptée : attendu exactement")


def test_a_threshold_is_met_within_float_error_and_says_so() -> None:
    # 3 shared words, 5 in the output, 3 in the reference: F1 = 2 * 0.6 / 1.6 = 0.7499999999999999
    score = judge({"type": "rouge-f1"}, "la réponse est bien positive", "la réponse positive")
    assert score.value is not None and score.value < 0.75
    assert score.passed
    assert score.reason == "ROUGE-1 F1 = 0.75 ≥ 0.75"


@pytest.mark.parametrize(
    "score", [0.7496, 0.74999, 0.7499999999999999, 0.75, 0.7500001, 0.7504, 0.0, 1.0]
)
@pytest.mark.parametrize("threshold", [0.75, 0.755, 0.5])
def test_messages_never_contradict_their_sign(score: float, threshold: float) -> None:
    ok, sentence = compared("ROUGE-1", score, threshold)
    match = re.fullmatch(r"ROUGE-1 = ([\d.]+) ([≥<]) ([\d.]+)", sentence)
    assert match is not None, sentence
    shown, sign, bound = float(match.group(1)), match.group(2), float(match.group(3))
    assert bound == threshold
    assert (sign == "≥") is ok
    assert (shown >= bound) is ok, sentence


def test_treebank_tokens_as_js_rouge_makes_them() -> None:
    words = treebank_words('Il a dit "bonjour", puis (enfin) il partit... Can\'t; 3,5 km.')
    assert words == [
        "Il", "a", "dit", "``", "bonjour", "''", ",", "puis", "(", "enfin", ")", "il",
        "partit", "...", "Ca", "n't", ";", "3,5", "km", ".",
    ]  # fmt: skip
    # only the text's last full stop is split off (js-rouge tokenises one sentence)
    assert rouge_recall("Le mot suivant. Autre phrase", "Le mot suivant.") == pytest.approx(2 / 4)


def test_overlap_metrics_on_empty_or_unrelated_outputs() -> None:
    assert rouge_recall("", REFERENCE) == 0.0
    assert rouge_recall(REFERENCE, "") == 0.0
    assert bleu("", [REFERENCE]) == 0.0
    assert gleu("   ", [REFERENCE]) == 0.0
    assert meteor("", [REFERENCE]) == 0.0
    # BLEU's zero precisions are smoothed to 1e-7, as promptfoo does: tiny, not zero
    assert 0 < bleu("sans rapport aucun ici", [REFERENCE]) < 1e-5


def test_several_references_take_the_best() -> None:
    references = ["une autre phrase", "le chat dort"]
    assert gleu("le chat dort", references) == 1.0
    assert meteor("le chat dort", references) == pytest.approx((1 - 0.5 / 27) * 1.0)
    # promptfoo's BLEU has no 4-gram in three words: smoothed to 1e-7, even when identical
    assert bleu("le chat dort", references) == pytest.approx(1e-7**0.25)


def test_meteor_stems_in_the_chosen_language() -> None:
    english = meteor("les chats mangeaient", ["le chat mange"])
    french = meteor("les chats mangeaient", ["le chat mange"], language="french")
    # French Snowball stems: les/le -> l?, chats/chat -> chat, mangeaient/mange -> mang
    assert french > 0.9 > english
