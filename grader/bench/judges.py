"""Model-graded assertions: a judge model behind an OpenAI-compatible endpoint grades an output.

Same verdict rules as promptfoo: `llm-rubric` passes on the judge's `pass` (when it omits it, a
score above 0 passes), and with a `threshold` its score must also reach it; `factuality` maps
the judge's choice among A-E (subset, superset, same, disagrees, differs but factual) to a
score, passing above 0; `answer-relevance` has the judge write the questions the output answers
and passes when their cosine with the case's input reaches the threshold (0.7). promptfoo
asks for three questions; the judge here decodes greedily, so one is asked.

The judge's reply is untrusted text: only a JSON object or a letter is read from it, and the
reason shown to the student is cut to a safe length. The prompts are grader's own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from grader.bench.formats import json_documents
from grader.text import safe_text

Judge = Callable[[str], str]  # a prompt in, the judge model's completion out
Similarity = Callable[[str, Sequence[str]], list[float]]

REASON_LIMIT = 400
FACTUALITY_SCORES = {"A": 1.0, "B": 1.0, "C": 1.0, "D": 0.0, "E": 1.0}
FACTUALITY_MEANINGS = {
    "A": "sous-ensemble cohérent de la référence",
    "B": "sur-ensemble cohérent de la référence",
    "C": "mêmes faits que la référence",
    "D": "en désaccord avec la référence",
    "E": "différente, mais sans écart sur les faits",
}

_RUBRIC_PROMPT = """You grade one answer against a rubric. Reply with one JSON object only:
{{"reason": "<one or two sentences, in French>", "pass": true or false, "score": <0 to 1>}}

<rubric>
{rubric}
</rubric>
<answer>
{output}
</answer>"""

_FACTUALITY_PROMPT = """Compare the facts of a submitted answer with an expert answer to the
same question. Ignore style, wording and punctuation. Choose one letter:
(A) the submission is a subset of the expert answer and consistent with it;
(B) the submission is a superset of the expert answer and consistent with it;
(C) the submission contains all the same details as the expert answer;
(D) the submission and the expert answer disagree;
(E) they differ, but the differences do not matter for factuality.
Reply with one JSON object only: {{"choice": "<letter>", "reason": "<in French>"}}

<question>
{question}
</question>
<expert>
{reference}
</expert>
<submission>
{output}
</submission>"""

_QUESTION_PROMPT = """Write the question that the following answer responds to, in the language
of the answer. Reply with the question only, on one line.

<answer>
{output}
</answer>"""


@dataclass(frozen=True)
class Judged:
    passed: bool
    score: float
    reason: str  # French, safe to show


def _first_object(reply: str) -> dict[str, Any] | None:
    return next((d for d in json_documents(reply) if isinstance(d, dict)), None)


def _reason(value: Any, fallback: str) -> str:
    return safe_text(value, REASON_LIMIT) if isinstance(value, str) and value.strip() else fallback


def llm_rubric(judge: Judge, output: str, rubric: str, threshold: float | None) -> Judged:
    reply = judge(_RUBRIC_PROMPT.format(rubric=rubric, output=output))
    verdict = _first_object(reply)
    if verdict is None:
        return Judged(False, 0.0, f"réponse du juge illisible : {safe_text(reply, 120)}")
    score = verdict.get("score")
    if not isinstance(score, int | float) or isinstance(score, bool):
        score = None
    said = verdict.get("pass")
    passed = said if isinstance(said, bool) else (score is None or score > 0)
    final = float(score) if score is not None else float(passed)
    if threshold is not None:
        passed = passed and final >= threshold - 1e-9
    fallback = "validé par le juge" if passed else "refusé par le juge"
    return Judged(passed, final, _reason(verdict.get("reason"), fallback))


def factuality(
    judge: Judge,
    question: str,
    reference: str,
    output: str,
    scores: Mapping[str, float] = FACTUALITY_SCORES,
) -> Judged:
    reply = judge(_FACTUALITY_PROMPT.format(question=question, reference=reference, output=output))
    verdict = _first_object(reply) or {}
    choice = str(verdict.get("choice", "")).strip().strip("()").upper()[:1]
    if choice not in scores:
        return Judged(False, 0.0, f"réponse du juge illisible : {safe_text(reply, 120)}")
    score = scores[choice]
    meaning = f"({choice}) {FACTUALITY_MEANINGS[choice]}"
    reason = _reason(verdict.get("reason"), "")
    return Judged(score > 0, score, f"{meaning}{' : ' + reason if reason else ''}")


def answer_relevance(
    judge: Judge, similarity: Similarity, question: str, output: str, threshold: float
) -> Judged:
    asked = judge(_QUESTION_PROMPT.format(output=output)).strip()[:REASON_LIMIT]
    score = similarity(question, [asked])[0] if asked else 0.0
    passed = score >= threshold - 1e-9
    return Judged(passed, score, f"question reconstituée : {safe_text(asked, 120)}")
