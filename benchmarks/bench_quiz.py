"""Score a synthetic class of 500 students on the course's final QCM, with item analysis.

Prints the time of each stage; the target for scoring + item analysis is under 5 s.
Run: PYTHONPATH=. python benchmarks/bench_quiz.py [--students 500]
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import tempfile
import time
from pathlib import Path

from grader.quiz import analyse, build_form, load_quiz, read_answers, score_class, score_sheets
from grader.quiz.render import render_item_analysis
from grader.quiz.spec import ChoiceQuestion, Numeric, Quiz, ShortText, TrueFalse

QUIZ_PATH = Path(__file__).parent.parent / "quizzes" / "qcm-transformers.yaml"


def synthetic_answers(quiz: Quiz, students: int, seed: int = 5) -> list[dict[str, str]]:
    """Students of varied ability answer their own form; weaker ones guess more."""
    rng = random.Random(seed)
    rows = []
    for number in range(students):
        student = f"etudiant{number:04d}"
        ability = rng.gauss(0, 1)
        row = {"student": student}
        for asked in build_form(quiz, student).questions:
            question = quiz.question(asked.question_id)
            knows = rng.random() < 1 / (1 + math.exp(-(ability + 0.5)))
            if rng.random() < 0.04:
                continue  # left empty
            if isinstance(question, ChoiceQuestion):
                ids = question.option_ids()
                ticked = question.correct_ids() if knows else {rng.choice(ids)}
                row[question.id] = ";".join(sorted(ticked))
            elif isinstance(question, TrueFalse):
                row[question.id] = "vrai" if question.answer == knows else "faux"
            elif isinstance(question, Numeric):
                value = question.answers[0].value
                row[question.id] = f"{value if knows else value * 1.5:.10g}".replace(".", ",")
            elif isinstance(question, ShortText):
                row[question.id] = (question.answers[0].text or "") if knows else "je ne sais pas"
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=500)
    args = parser.parse_args()
    quiz = load_quiz(QUIZ_PATH).spec
    asked = len(build_form(quiz, "x").questions)
    with tempfile.TemporaryDirectory() as tmp:
        answers = Path(tmp) / "reponses.csv"
        rows = synthetic_answers(quiz, args.students)
        with answers.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, ["student", *(q.id for q in quiz.questions)])
            writer.writeheader()
            writer.writerows(rows)

        start = time.perf_counter()
        batch = read_answers(quiz, [answers])
        read_s = time.perf_counter() - start
        start = time.perf_counter()
        results, warnings = score_sheets(quiz, batch.sheets)
        score_s = time.perf_counter() - start
        start = time.perf_counter()
        analysis = analyse(quiz, results)
        analysis_s = time.perf_counter() - start
        start = time.perf_counter()
        render_item_analysis(analysis)
        render_s = time.perf_counter() - start
        assert not warnings and len(results) == args.students

        start = time.perf_counter()
        score_class(quiz, [answers], Path(tmp) / "out")
        end_to_end_s = time.perf_counter() - start

    core = read_s + score_s + analysis_s
    print(f"quiz: {quiz.id}, {len(quiz.questions)} questions in the bank, {asked} per student")
    print(f"students: {args.students}")
    print(f"read answers (CSV):        {read_s:7.3f} s")
    print(f"score (forms + schemes):   {score_s:7.3f} s")
    print(f"item analysis:             {analysis_s:7.3f} s")
    print(f"read + score + analysis:   {core:7.3f} s   (target < 5 s)")
    print(f"render item analysis HTML: {render_s:7.3f} s")
    print(
        f"end to end with all files: {end_to_end_s:7.3f} s   "
        f"({args.students} JSON + {args.students} HTML + gradebook + item analysis)"
    )
    print(
        f"Cronbach's alpha {analysis.test.alpha:.3f}, KR-20 {analysis.test.kr20:.3f}, "
        f"mean {analysis.test.mean:.2f} / {analysis.test.raw_max:g}"
    )


if __name__ == "__main__":
    main()
