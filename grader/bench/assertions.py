"""One assertion on one output: passed or not, the value measured, and the reason in French.

Each checker answers for the plain assertion; `not-` is applied once, in `evaluate`, and so is
weight 0 (measured and shown, never a failure, as in promptfoo). Scores meet thresholds with a
tolerance of TOLERANCE, and a reason shows the score with enough decimals to agree with its sign.
Structured formats (JSON, XML, HTML, SQL) are in grader.bench.formats.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jsonschema
import sacrebleu
from rapidfuzz.distance import Levenshtein as _Levenshtein

from grader.bench import formats, judges, overlap
from grader.bench.local_models import LocalModels
from grader.bench.rubric import (
    AssertionBase,
    AssertSet,
    Bleu,
    Case,
    Classifier,
    Contains,
    ContainsJson,
    ContainsSome,
    Equals,
    EqualsNormalised,
    IsJson,
    IsSql,
    JsonSchemaAssertion,
    Levenshtein,
    Markup,
    Meteor,
    ModelGraded,
    Perplexity,
    PythonAssertion,
    Regex,
    RougeN,
    Similar,
    StartsWith,
    WordCount,
)
from grader.bench.text import normalise, rouge_n
from grader.errors import GraderError

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
    judge: judges.Judge | None = None  # the rubric's judge model, for model-graded assertions
    models: LocalModels | None = None  # for perplexity and classifier


@dataclass(frozen=True)
class _Verdict:
    passed: bool
    reason: str
    value: float | None = None
    error: bool = False


def evaluate(assertion: AssertionBase, output: str, case: Case, tools: Tools) -> AssertionScore:
    if isinstance(assertion, AssertSet):
        verdict = _assert_set(assertion, output, case, tools)
    else:
        verdict = _CHECKERS[type(assertion)](assertion, output, case, tools)
    passed = verdict.passed
    reason = verdict.reason
    if assertion.negated and not verdict.error:
        passed = not passed
        reason = f"négation attendue : {reason}"
    if assertion.weight == 0 and not verdict.error:
        passed, reason = True, f"mesure seule, non comptée : {reason}"
    return AssertionScore(
        type=str(getattr(assertion, "type")),  # noqa: B009
        passed=passed and not verdict.error,
        weight=assertion.weight,
        reason=reason,
        value=verdict.value,
        error=verdict.error,
        metric=assertion.metric,
    )


TOLERANCE = 1e-9  # F1 = 0.7499999999999999 meets a threshold of 0.75


def reaches(score: float, threshold: float) -> bool:
    return score >= threshold - TOLERANCE


def compared(name: str, score: float, threshold: float) -> tuple[bool, str]:
    """Whether `score` reaches `threshold`, and the sentence saying so: the score is shown with
    as many decimals as it takes to agree with the sign (never "0.75 < 0.75")."""
    ok = reaches(score, threshold)
    digits = 2
    while digits < 10 and (round(score, digits) < threshold) == ok:
        digits += 1
    if round(score, digits) < threshold and ok:  # within the tolerance: shown as met
        score = threshold
    return ok, f"{name} = {score:.{digits}f} {'≥' if ok else '<'} {threshold:g}"


def _assert_set(assertion: AssertSet, output: str, case: Case, tools: Tools) -> _Verdict:
    members = [evaluate(member, output, case, tools) for member in assertion.assertions]
    counted = [m for m in members if m.weight > 0]
    total = sum(m.weight for m in counted)
    share = sum(m.weight for m in counted if m.passed) / total if total else 1.0
    threshold = 1.0 if assertion.threshold is None else assertion.threshold
    ok, sentence = compared("part validée du groupe", share, threshold)
    failed = [f"{m.type} : {m.reason}" for m in counted if not m.passed]
    detail = f" ({'; '.join(failed)})" if failed else ""
    errored = any(m.error for m in members)
    return _Verdict(ok, sentence + detail, share, error=errored)


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
        except (ValueError, RecursionError):
            return _Verdict(False, "la sortie n'est pas du JSON, attendu un objet JSON")
        same = parsed == expected
        return _Verdict(same, "JSON identique" if same else "JSON différent de l'attendu")
    if output == str(expected):
        return _Verdict(True, f"identique à {_short(str(expected))}")
    return _Verdict(False, f"attendu exactement {_short(str(expected))}, obtenu {_short(output)}")


def _equals_normalised(
    assertion: EqualsNormalised, output: str, case: Case, tools: Tools
) -> _Verdict:
    expected = str(reference(assertion.value, case))
    if normalise(output, assertion.ignore) == normalise(expected, assertion.ignore):
        return _Verdict(True, f"égal à {_short(expected)}")
    return _Verdict(False, f"attendu {_short(expected)}, obtenu {_short(output)}")


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
    ok = output.startswith(prefix)
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
    except RecursionError:
        return _Verdict(False, "la sortie n'est pas du JSON valide (trop imbriqué)")
    if schema is None:
        return _Verdict(True, "la sortie est du JSON valide")
    return _document_verdict(document, schema)


def _document_verdict(document: Any, schema: dict[str, Any]) -> _Verdict:
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


def _contains_json(assertion: ContainsJson, output: str, case: Case, tools: Tools) -> _Verdict:
    documents = formats.json_documents(output)
    if not documents:
        return _Verdict(False, "aucun JSON valide dans la sortie")
    if assertion.value is None:
        return _Verdict(True, "la sortie contient du JSON valide")
    verdicts = [_document_verdict(document, assertion.value) for document in documents]
    return next((v for v in verdicts if v.passed), verdicts[0])


def _markup(assertion: Markup, output: str, case: Case, tools: Tools) -> _Verdict:
    if assertion.kind == "is-html":
        ok = formats.is_html_document(output)
        return _Verdict(ok, "la sortie est du HTML" if ok else "la sortie n'est pas du HTML")
    if assertion.kind == "contains-html":
        tags = formats.html_elements(output)
        if tags:
            return _Verdict(True, f"la sortie contient du HTML (<{tags[0]}>)")
        return _Verdict(False, "aucun élément HTML dans la sortie")
    whole = assertion.kind == "is-xml"
    verdict = formats.parse_xml(output) if whole else formats.find_xml(output)
    if verdict.root is None:
        return _Verdict(False, verdict.problem)
    missing = formats.missing_paths(verdict.root, assertion.required_paths)
    if missing:
        return _Verdict(False, "XML sans les éléments : " + ", ".join(map(_short, missing)))
    return _Verdict(True, "XML bien formé" if whole else "la sortie contient du XML bien formé")


def _sql(assertion: IsSql, output: str, case: Case, tools: Tools) -> _Verdict:
    options = assertion.value
    text = output if assertion.kind == "is-sql" else formats.sql_block(output)
    dialect = options.database_type.lower() if options and options.database_type else None
    verdict = formats.parse_sql(text, dialect)
    if verdict.problem:
        return _Verdict(False, verdict.problem)
    if options and options.allowed_tables is not None:
        allowed = {table.lower() for table in options.allowed_tables}
        extra = [table for table in verdict.tables if table not in allowed]
        if extra:
            return _Verdict(False, "tables non autorisées : " + ", ".join(map(_short, extra)))
    return _Verdict(True, "SQL valide")


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
    expected = str(reference(assertion.value, case))
    if assertion.kind == "rouge-f1":
        score, name = rouge_n(output, expected, assertion.n).f1, f"ROUGE-{assertion.n} F1"
    else:
        score, name = overlap.rouge_recall(output, expected, assertion.n), f"ROUGE-{assertion.n}"
    ok, sentence = compared(name, score, assertion.threshold)
    return _Verdict(ok, sentence, score)


def _references(value: str | list[str] | None, case: Case) -> list[str]:
    expected = reference(value, case)
    return [expected] if isinstance(expected, str) else [str(v) for v in expected]


def _bleu(assertion: Bleu, output: str, case: Case, tools: Tools) -> _Verdict:
    references = _references(assertion.value, case)
    if assertion.kind == "chrf":
        name, score = "chrF", sacrebleu.sentence_chrf(output, references).score / 100
    elif assertion.kind == "gleu":
        name, score = "GLEU", overlap.gleu(output, references)
    else:
        name, score = "BLEU", overlap.bleu(output, references)
    ok, sentence = compared(name, score, assertion.threshold)
    return _Verdict(ok, sentence, score)


def _meteor(assertion: Meteor, output: str, case: Case, tools: Tools) -> _Verdict:
    score = overlap.meteor(
        output,
        _references(assertion.value, case),
        assertion.language,
        assertion.alpha,
        assertion.beta,
        assertion.gamma,
    )
    ok, sentence = compared("METEOR", score, assertion.threshold)
    return _Verdict(ok, sentence, score)


def _word_count(assertion: WordCount, output: str, case: Case, tools: Tools) -> _Verdict:
    count = len(output.split())
    bounds = assertion.value
    if isinstance(bounds, int):
        ok, wanted = count == bounds, f"{bounds}"
    else:
        low = 0 if bounds.min is None else bounds.min
        high = bounds.max
        ok = count >= low and (high is None or count <= high)
        wanted = f"au moins {low}" if high is None else f"entre {low} et {high}"
    return _Verdict(ok, f"{count} mot(s), attendu {wanted}", float(count))


def _similar(assertion: Similar, output: str, case: Case, tools: Tools) -> _Verdict:
    if tools.similarity is None:
        raise ValueError("a 'similar' assertion needs Tools.similarity")
    expected = reference(assertion.value, case)
    references = [expected] if isinstance(expected, str) else list(expected)
    threshold = assertion.threshold if assertion.threshold is not None else tools.similar_threshold
    if threshold is None:
        raise ValueError("a 'similar' assertion needs a threshold")  # load_rubric rejects this
    best = max(tools.similarity(output, references))
    ok, sentence = compared("similarité cosinus", best, threshold)
    return _Verdict(ok, sentence, best)


def _model_graded(assertion: ModelGraded, output: str, case: Case, tools: Tools) -> _Verdict:
    try:
        judged = _ask_judge(assertion, output, case, tools)
    except GraderError as exc:
        return _Verdict(False, f"le juge n'a pas pu noter : {exc}", error=True)
    return _Verdict(judged.passed, f"juge : {judged.reason}", judged.score)


def _ask_judge(assertion: ModelGraded, output: str, case: Case, tools: Tools) -> judges.Judged:
    if tools.judge is None:
        raise ValueError("a model-graded assertion needs Tools.judge")  # tools_for refuses
    if assertion.kind == "llm-rubric":
        return judges.llm_rubric(tools.judge, output, str(assertion.value), assertion.threshold)
    if assertion.kind == "factuality":
        expected = str(reference(assertion.value, case))
        return judges.factuality(tools.judge, case.input, expected, output)
    if tools.similarity is None:
        raise ValueError("'answer-relevance' needs Tools.similarity")  # tools_for loads it
    threshold = 0.7 if assertion.threshold is None else assertion.threshold
    return judges.answer_relevance(tools.judge, tools.similarity, case.input, output, threshold)


def _perplexity(assertion: Perplexity, output: str, case: Case, tools: Tools) -> _Verdict:
    if tools.models is None:
        raise ValueError("'perplexity' needs Tools.models")  # tools_for loads them
    value = tools.models.perplexity(assertion.model, output)
    if not math.isfinite(value):  # an empty output: no JSON number for it
        return _Verdict(False, f"perplexité infinie (sortie vide) > {assertion.threshold:g}")
    ok = value <= assertion.threshold + TOLERANCE
    return _Verdict(
        ok, f"perplexité {value:.2f} {'≤' if ok else '>'} {assertion.threshold:g}", value
    )


def _classifier(assertion: Classifier, output: str, case: Case, tools: Tools) -> _Verdict:
    if tools.models is None:
        raise ValueError("'classifier' needs Tools.models")  # tools_for loads them
    probabilities = tools.models.classify(assertion.model, output)
    if assertion.value not in probabilities:
        known = ", ".join(map(_short, probabilities))
        reason = f"le classifieur n'a pas de classe {_short(assertion.value)} ({known})"
        return _Verdict(False, reason, error=True)
    ok, sentence = compared(
        f"P({assertion.value})", probabilities[assertion.value], assertion.threshold
    )
    return _Verdict(ok, sentence, probabilities[assertion.value])


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
        ok, sentence = compared("score", answer, assertion.threshold)
        return _Verdict(ok, reason or sentence, answer)
    return _Verdict(
        False,
        f"la fonction {assertion.value} a renvoyé {type(answer).__name__}, "
        "attendu un booléen, un nombre ou (nombre, raison)",
        error=True,
    )


_CHECKERS: dict[type[Any], Callable[[Any, str, Case, Tools], _Verdict]] = {
    Equals: _equals,
    EqualsNormalised: _equals_normalised,
    Contains: _contains,
    ContainsSome: _contains_some,
    StartsWith: _starts_with,
    Regex: _regex,
    IsJson: _is_json,
    ContainsJson: _contains_json,
    JsonSchemaAssertion: _json_schema,
    Markup: _markup,
    IsSql: _sql,
    WordCount: _word_count,
    Levenshtein: _levenshtein,
    RougeN: _rouge,
    Bleu: _bleu,
    Meteor: _meteor,
    Similar: _similar,
    PythonAssertion: _python,
    ModelGraded: _model_graded,
    Perplexity: _perplexity,
    Classifier: _classifier,
}
