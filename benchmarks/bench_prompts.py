"""Time to score 100 students x 20 cases x 3 prompts of recorded outputs (target: under 10 s).

Every assertion type but `similar` is used (equals, icontains, contains-any, starts-with, regex,
is-json, json-schema, levenshtein, rouge-n, bleu, chrf, python), with set-level metrics and the
students' own grades, so the student analysis (kappa) runs too.

    PYTHONPATH=. python benchmarks/bench_prompts.py [--students 100] [--write]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from grader.bench.grading import score_outputs, tools_for, write_result
from grader.bench.load import parse_rubric
from grader.bench.scoring import RecordedOutput

LABELS = ("positif", "négatif", "neutre")
REVIEWS = {
    "positif": ["Livraison rapide et produit conforme, je recommande.", "Le son est excellent."],
    "négatif": ["L'écran s'est fissuré au bout d'une semaine.", "Remboursement impossible."],
    "neutre": ["Le colis est arrivé mardi.", "La notice est en français et en anglais."],
}
INSTRUCTOR = """
def un_seul_label(output, case):
    found = [l for l in ("positif", "négatif", "neutre") if l in output.lower()]
    return len(found) == 1, f"{len(found)} label(s) cité(s)"
"""


def rubric_text(cases: int, rng: random.Random) -> str:
    lines = [
        "id: bench-perf",
        "prompts: [{id: zero-shot}, {id: few-shot}, {id: structured}]",
        "labels: [positif, négatif, neutre]",
        "metrics: [{type: accuracy}, {type: macro-f1}]",
        "grid: {full: 1.0, partial: 0.6}",
        "default_assert:",
        "  - {type: icontains, weight: 2}",
        "  - {type: equals, prompts: [zero-shot, few-shot]}",
        "  - {type: contains-any, value: [positif, négatif, neutre], weight: 0}",
        "  - {type: not-starts-with, value: 'Désolé'}",
        r"  - {type: regex, value: '^\s*\S', weight: 0.5}",
        "  - {type: python, value: 'fonctions.py:un_seul_label'}",
        "  - {type: is-json, prompts: [structured]}",
        "  - {type: json-schema, prompts: [structured]}",
        "  - {type: levenshtein, threshold: 3, normalize: true, prompts: [zero-shot]}",
        "cases:",
    ]
    schema = json.dumps(
        {
            "type": "object",
            "required": ["sentiment"],
            "properties": {"sentiment": {"enum": list(LABELS)}},
        },
        ensure_ascii=False,
    )
    for index in range(cases):
        label = LABELS[index % 3]
        review = rng.choice(REVIEWS[label])
        reference = f"L'avis est {label} : {review}"
        lines += [
            f"  - id: c{index:02d}",
            f"    input: {json.dumps(review, ensure_ascii=False)}",
            f"    expected: {label}",
            f"    schema: {schema}",
            "    assert:",
            f"      - {{type: rouge-n, value: {json.dumps(reference, ensure_ascii=False)}, "
            "threshold: 0.3, weight: 0.5, prompts: [few-shot]}",
            f"      - {{type: bleu, value: {json.dumps(reference, ensure_ascii=False)}, "
            "threshold: 0.2, weight: 0.5, prompts: [few-shot]}",
            f"      - {{type: chrf, value: {json.dumps(reference, ensure_ascii=False)}, "
            "threshold: 0.4, weight: 0.5, prompts: [few-shot]}",
        ]
    return "\n".join(lines) + "\n"


def recorded_outputs(students: int, cases: int, rng: random.Random) -> list[RecordedOutput]:
    rows = []
    for student in range(students):
        for index in range(cases):
            label = LABELS[index % 3]
            guess = label if rng.random() < 0.75 else rng.choice(LABELS)
            review = rng.choice(REVIEWS[label])
            outputs = {
                "zero-shot": rng.choice([guess, guess.capitalize() + ".", f"Désolé : {guess}"]),
                "few-shot": f"L'avis est {guess} : {review}",
                "structured": rng.choice(
                    [
                        json.dumps({"sentiment": guess}, ensure_ascii=False),
                        f'Voici : {{"sentiment": "{guess}"}}',
                    ]
                ),
            }
            for prompt, output in outputs.items():
                grade = rng.choice([0, 1, 2, None])
                rows.append(
                    RecordedOutput(f"etudiant{student:03d}", f"c{index:02d}", prompt, output, grade)
                )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--write", action="store_true", help="also write JSON + HTML per student")
    args = parser.parse_args()
    rng = random.Random(6)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / "fonctions.py").write_text(INSTRUCTOR, encoding="utf-8")
        start = time.perf_counter()
        rubric = parse_rubric(rubric_text(args.cases, rng), directory / "bench-perf.yaml")
        tools = tools_for(rubric)
        loaded = time.perf_counter()
        rows = recorded_outputs(args.students, args.cases, rng)
        scored_start = time.perf_counter()
        results = score_outputs(rubric, rows, tools)
        scored = time.perf_counter()
        if args.write:
            for result in results:
                write_result(result, directory / "out")
        written = time.perf_counter()
    assertions = sum(len(c.assertions) for r in results for p in r.prompts for c in p.cases)
    print(f"students: {len(results)}, outputs: {len(rows)}, assertions evaluated: {assertions}")
    print(f"load rubric: {loaded - start:.2f} s")
    per_output = 1e3 * (scored - scored_start) / len(rows)
    print(f"score: {scored - scored_start:.2f} s ({per_output:.2f} ms per output)")
    if args.write:
        print(f"write JSON + HTML: {written - scored:.2f} s")
    print(f"total: {written - start:.2f} s (target: under 10 s for 100 x 20 x 3)")


if __name__ == "__main__":
    main()
