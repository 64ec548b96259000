"""One assertion on one output: passed or not, the value measured, and the reason in French.

Each checker answers for the plain assertion; `not-` is applied once, in `evaluate`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jsonschema
import sacrebleu
from rapidfuzz.distance import Levenshtein as _Levenshtein

from grader.bench.rubric import (
    AssertionBase,
    Bleu,
    Case,
    Contains,
    ContainsSome,
    Equals,
    IsJson,
    JsonSchemaAssertion,
    Levenshtein,
    PythonAssertion,
    Regex,
    RougeN,
    Similar,
    StartsWith,
)
from grader.bench.text import normalise, rouge_n

InstructorFunction = Callable[[str, Case], Any]
Similarity = Callable[[str, Sequence[str]], list[float]]


@dataclass(frozen=True)
class AssertionScore:
    type: str  # as written in the rubric, e.g. "not-contains"
    passed: bool
    weight: float
    reason: str  # the sentence a student reads
    value: float | None = None  # what was measured: a distance, a ROUGE, a cosine
    error: bool = False  # it could not be judged (the instructor's function raised)
    metric: str | None = None


@dataclass(frozen=True)
class Tools:
    """What some assertions need besides the output: instructor functions, embeddings."""

    functions: Mapping[str, InstructorFunction] = field(default_factory=dict)
    similarity: Similarity | None = None
    similar_threshold: float | None = None  # calibrated on the rubric's examples


@dataclass(frozen=True)
class _Verdict:
    passed: bool
    reason: str
    value: float | None = None
    error: bool = False


def evaluate(assertion: AssertionBase, output: str, case: Case, tools: Tools) -> AssertionScore:
    check = _CHECKERS[type(assertion)]
    verdict = check(assertion, output, case, tools)
    passed = verdict.passed
    reason = verdict.reason
    if assertion.negated and not verdict.error:
        passed = not passed
        reason = f"négation attendue : {reason}"
    return AssertionScore(
        type=str(getattr(assertion, "type")),  # noqa: B009
        passed=passed and not verdict.error,
        weight=assertion.weight,
        reason=reason,
        value=verdict.value,
        error=verdict.error,
        metric=assertion.metric,
    )


def reference(value: Any, case: Case) -> Any:
    """The assertion's own value, else the case's expected answer (checked at load time)."""
    if value is not None:
        return value
    if case.expected is None:
        raise ValueError(f"case {case.id!r} has no expected answer")  # load_rubric rejects this
    return case.expected


def _short(text: str, limit: int = 60) -> str:
    """A text quoted the French way, on one line, cut at `limit` characters."""
    text = " ".join(text.split())
    return f"« {text if len(text) <= limit else text[: limit - 1] + '…'} »"


def _equals(assertion: Equals, output: str, case: Case, tools: Tools) -> _Verdict:
    expected = reference(assertion.value, case)
    if isinstance(expected, dict | list):
        try:
            parsed = json.loads(output)
        except ValueError:
            return _Verdict(False, "la sortie n'est pas du JSON, attendu un objet JSON")
        same = parsed == expected
        return _Verdict(same, "JSON identique" if same else "JSON différent de l'attendu")
    got, want = normalise(output, assertion.ignore), normalise(str(expected), assertion.ignore)
    if got == want:
        return _Verdict(True, f"égal à {_short(str(expected))}")
    return _Verdict(False, f"attendu {_short(str(expected))}, obtenu {_short(output)}")


def _contains(assertion: Contains, output: str, case: Case, tools: Tools) -> _Verdict:
    needle = str(reference(assertion.value, case))
    if assertion.kind == "icontains":
        found = needle.casefold() in output.casefold()
    else:
        found = needle in output
    return _Verdict(found, f"{_short(needle)} {'présent' if found else 'absent'} dans la sortie")


def _contains_some(assertion: ContainsSome, output: str, case: Case, tools: Tools) -> _Verdict:
    fold = assertion.kind.startswith("i")
    haystack = output.casefold() if fold else output
    found = [v for v in assertion.value if (v.casefold() if fold else v) in haystack]
    missing = [v for v in assertion.value if v not in found]
    if assertion.kind.endswith("-any"):
        if found:
            return _Verdict(True, f"contient {_short(found[0])}")
        return _Verdict(False, "ne contient aucun de : " + ", ".join(map(_short, missing)))
    if not missing:
        return _Verdict(True, "contient tous les termes attendus")
    return _Verdict(False, "il manque : " + ", ".join(map(_short, missing)))


def _starts_with(assertion: StartsWith, output: str, case: Case, tools: Tools) -> _Verdict:
    prefix = str(reference(assertion.value, case))
    ok = output.lstrip().startswith(prefix)
    return _Verdict(ok, f"{'commence' if ok else 'ne commence pas'} par {_short(prefix)}")


def _regex(assertion: Regex, output: str, case: Case, tools: Tools) -> _Verdict:
    flags = re.IGNORECASE if assertion.ignore_case else 0
    match = re.search(assertion.value, output, flags)
    if match:
        return _Verdict(True, f"motif /{assertion.value}/ trouvé : {_short(match.group(0))}")
    return _Verdict(False, f"motif /{assertion.value}/ absent de la sortie")


@lru_cache(maxsize=256)
def _validator(schema_text: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(schema_text))


def _schema_verdict(output: str, schema: dict[str, Any] | None) -> _Verdict:
    try:
        document = json.loads(output.strip())
    except json.JSONDecodeError as exc:
        where = f"{exc.msg}, colonne {exc.colno}"
        return _Verdict(False, f"la sortie n'est pas du JSON valide ({where})")
    if schema is None:
        return _Verdict(True, "la sortie est du JSON valide")
    validator = _validator(json.dumps(schema, sort_keys=True))
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is None:
        return _Verdict(True, "JSON conforme au schéma")
    where = "/".join(str(part) for part in error.absolute_path) or "racine"
    return _Verdict(False, f"JSON non conforme au schéma ({where} : {error.message})")


def _is_json(assertion: IsJson, output: str, case: Case, tools: Tools) -> _Verdict:
    return _schema_verdict(output, assertion.value)


def _json_schema(assertion: JsonSchemaAssertion, output: str, case: Case, tools: Tools) -> _Verdict:
    return _schema_verdict(output, assertion.value if assertion.value is not None else case.schema_)


def _levenshtein(assertion: Levenshtein, output: str, case: Case, tools: Tools) -> _Verdict:
    expected = str(reference(assertion.value, case))
    got, want = output, expected
    if assertion.normalize:
        got, want = normalise(output), normalise(expected)
    distance = _Levenshtein.distance(got, want)
    ok = distance <= assertion.threshold
    reason = f"distance d'édition {distance} {'≤' if ok else '>'} {assertion.threshold}"
    return _Verdict(ok, reason, float(distance))


def _rouge(assertion: RougeN, output: str, case: Case, tools: Tools) -> _Verdict:
    score = rouge_n(output, str(reference(assertion.value, case)), assertion.n).f1
    ok = score >= assertion.threshold
    sign = "≥" if ok else "<"
    return _Verdict(ok, f"ROUGE-{assertion.n} = {score:.2f} {sign} {assertion.threshold}", score)


def _bleu(assertion: Bleu, output: str, case: Case, tools: Tools) -> _Verdict:
    references = [str(reference(assertion.value, case))]
    if assertion.kind == "chrf":
        name, score = "chrF", sacrebleu.sentence_chrf(output, references).score / 100
    else:
        name, score = "BLEU", sacrebleu.sentence_bleu(output, references).score / 100
    ok = score >= assertion.threshold
    return _Verdict(ok, f"{name} = {score:.2f} {'≥' if ok else '<'} {assertion.threshold}", score)


def _similar(assertion: Similar, output: str, case: Case, tools: Tools) -> _Verdict:
    if tools.similarity is None:
        raise ValueError("a 'similar' assertion needs Tools.similarity")
    expected = reference(assertion.value, case)
    references = [expected] if isinstance(expected, str) else list(expected)
    threshold = assertion.threshold if assertion.threshold is not None else tools.similar_threshold
    if threshold is None:
        raise ValueError("a 'similar' assertion needs a threshold")  # load_rubric rejects this
    best = max(tools.similarity(output, references))
    ok = best >= threshold
    reason = f"similarité cosinus {best:.2f} {'≥' if ok else '<'} {threshold:.2f}"
    return _Verdict(ok, reason, best)


def _python(assertion: PythonAssertion, output: str, case: Case, tools: Tools) -> _Verdict:
    function = tools.functions[assertion.value]
    try:
        answer = function(output, case)
    except Exception as exc:
        return _Verdict(False, f"la fonction {assertion.value} a échoué : {exc!r}", error=True)
    reason = ""
    if isinstance(answer, tuple) and len(answer) == 2:
        answer, reason = answer
    if isinstance(answer, bool):
        return _Verdict(answer, reason or ("validé" if answer else "refusé"), float(answer))
    if isinstance(answer, int | float):
        ok = answer >= assertion.threshold
        sign = "≥" if ok else "<"
        return _Verdict(ok, reason or f"score {answer:.2f} {sign} {assertion.threshold}", answer)
    return _Verdict(
        False,
        f"la fonction {assertion.value} a renvoyé {type(answer).__name__}, "
        "attendu un booléen, un nombre ou (nombre, raison)",
        error=True,
    )


_CHECKERS: dict[type[Any], Callable[[Any, str, Case, Tools], _Verdict]] = {
    Equals: _equals,
    Contains: _contains,
    ContainsSome: _contains_some,
    StartsWith: _starts_with,
    Regex: _regex,
    IsJson: _is_json,
    JsonSchemaAssertion: _json_schema,
    Levenshtein: _levenshtein,
    RougeN: _rouge,
    Bleu: _bleu,
    Similar: _similar,
    PythonAssertion: _python,
}
