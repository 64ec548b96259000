"""Time each deterministic bench assertion on a typical French output, and on hostile outputs.

Prints microseconds per evaluation (best of 5 runs), then the time of each hostile case, whose
scans must stay bounded (a megabyte of brackets, an XML entity bomb, deep nesting).
Run: PYTHONPATH=. python benchmarks/bench_assertions.py [--repeat 200]
"""

from __future__ import annotations

import argparse
import time
import timeit
from typing import Any

from pydantic import TypeAdapter

from grader.bench.assertions import Tools, evaluate
from grader.bench.rubric import Assertion, Case

REFERENCE = "Le modèle de langue prédit le mot suivant à partir du contexte."
OUTPUT = (
    "Un modèle de langue prédit le mot suivant à partir du contexte. "
    'Réponse : ```json\n{"sentiment": "positif", "justification": "l\'avis le dit"}\n```'
)
SPECS: list[dict[str, Any]] = [
    {"type": "equals"},
    {"type": "equals-normalised"},
    {"type": "rouge-n"},
    {"type": "rouge-f1"},
    {"type": "bleu"},
    {"type": "gleu"},
    {"type": "meteor", "language": "french"},
    {"type": "chrf"},
    {"type": "contains-json", "value": {"type": "object", "required": ["sentiment"]}},
    {"type": "contains-xml"},
    {"type": "contains-html"},
    {"type": "contains-sql"},
    {"type": "word-count", "value": {"min": 5, "max": 60}},
    {
        "type": "assert-set",
        "assert": [{"type": "rouge-n"}, {"type": "word-count", "value": {"max": 60}}],
    },
]
HOSTILE: list[tuple[str, dict[str, Any], str]] = [
    ("1 MB of '['", {"type": "contains-json"}, "[" * 1_000_000),
    ("1 MB of '{'", {"type": "contains-json"}, "{" * 1_000_000),
    ("1 MB of '<a>'", {"type": "contains-xml"}, "<a>" * 333_333),
    (
        "XML entity bomb",
        {"type": "is-xml"},
        '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><x>&b;</x>',
    ),
    ("100k nested lists", {"type": "is-json"}, "[" * 100_000 + "]" * 100_000),
    ("1 MB of words, rouge-n", {"type": "rouge-n"}, "mot " * 250_000),
    ("1 MB of words, meteor", {"type": "meteor"}, "mot " * 250_000),
    ("SQL of 10k joins", {"type": "is-sql"}, "SELECT * FROM t" + " JOIN t USING (a)" * 10_000),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    adapter: TypeAdapter[Any] = TypeAdapter(Assertion)
    case = Case.model_validate({"id": "c", "input": "question", "expected": REFERENCE})
    tools = Tools()
    for spec in SPECS:
        assertion = adapter.validate_python(spec)
        evaluate(assertion, OUTPUT, case, tools)  # imports and caches
        timer = timeit.Timer(lambda a=assertion: evaluate(a, OUTPUT, case, tools))
        best = min(timer.repeat(repeat=5, number=args.repeat))
        print(f"{spec['type']:<18} {best / args.repeat * 1e6:9.1f} µs per output")
    for name, spec, output in HOSTILE:
        assertion = adapter.validate_python(spec)
        start = time.perf_counter()
        score = evaluate(assertion, output, case, tools)
        elapsed = time.perf_counter() - start
        print(f"hostile: {name:<24} {elapsed:7.3f} s  passed={score.passed}")


if __name__ == "__main__":
    main()
