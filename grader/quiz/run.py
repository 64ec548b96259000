"""Scoring a class at the edges: read answers, score each sheet, write results and reports.

A sheet that cannot be scored (duplicate student, no student id) is reported with its row and
skipped; a bad answer only costs that answer (grader/quiz/responses.py). Every other student is
still scored and written, so nothing already scored is lost.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from grader.atomic import write_json_atomic, write_text_atomic
from grader.errors import ConfigError
from grader.quiz.analysis import ItemAnalysis, analyse
from grader.quiz.answers import AnswerSheet, read_answers
from grader.quiz.render import render_item_analysis_page, render_student_report
from grader.quiz.responses import interpret
from grader.quiz.scoring import QuizResult, result_to_dict, score_quiz
from grader.quiz.shuffle import build_form
from grader.quiz.spec import Quiz
from grader.text import SpreadsheetWriter

Columns = Literal["question", "topic"]


@dataclass(frozen=True)
class ClassRun:
    results: tuple[QuizResult, ...]
    problems: tuple[ConfigError, ...]  # sheets that could not be scored at all
    analysis: ItemAnalysis
    warnings: tuple[str, ...] = ()  # scored, but read with a guess or an invalid answer


def score_sheets(
    quiz: Quiz, sheets: Sequence[AnswerSheet], displayed: bool = False
) -> tuple[list[QuizResult], list[str]]:
    """Each sheet scored on the student's own form; a bad answer is a warning, not a lost sheet."""
    results: list[QuizResult] = []
    warnings: list[str] = []
    for sheet in sheets:
        form = build_form(quiz, sheet.student)
        interpreted = interpret(quiz, form, sheet, displayed)
        warnings.extend(interpreted.warnings)
        results.append(score_quiz(quiz, form, interpreted.responses))
    return results, warnings


def score_class(
    quiz: Quiz,
    answer_paths: Sequence[Path],
    out: Path,
    displayed: bool = False,
    columns: Columns = "question",
    encoding: str | None = None,
) -> ClassRun:
    batch = read_answers(quiz, list(answer_paths), encoding)
    results, warnings = score_sheets(quiz, batch.sheets, displayed)
    problems = batch.problems
    for result in results:
        name = safe_name(result.student)
        write_json_atomic(out / "results" / f"{name}.json", result_to_dict(result, quiz.title))
        write_text_atomic(out / "reports" / f"{name}.html", render_student_report(result, quiz))
    write_text_atomic(out / "gradebook.csv", gradebook_csv(quiz, results, problems, columns))
    analysis = analyse(quiz, results)
    page = render_item_analysis_page(analysis, f"Analyse des questions — {quiz.title}")
    write_text_atomic(out / "item-analysis.html", page)
    return ClassRun(tuple(results), tuple(problems), analysis, (*batch.notices, *warnings))


def gradebook_csv(
    quiz: Quiz,
    results: Sequence[QuizResult],
    problems: Sequence[ConfigError],
    columns: Columns = "question",
) -> str:
    if columns == "topic":
        names = sorted({topic for question in quiz.questions for topic in question.topics})
    else:
        names = [question.id for question in quiz.questions]
    buffer = io.StringIO()
    writer = SpreadsheetWriter(buffer)
    writer.writerow(["student", "score", "max_score", "percent", *names, "status"])
    for result in results:
        cells: dict[str, float] = {}
        for question in result.questions:
            keys = question.topics if columns == "topic" else (question.question_id,)
            for key in keys:
                cells[key] = cells.get(key, 0.0) + question.points
        writer.writerow(
            [
                result.student,
                _number(result.score),
                _number(result.max_score),
                _number(result.percent),
                *(_number(cells[name]) if name in cells else "" for name in names),
                result.status,
            ]
        )
    for problem in problems:
        student = (problem.field or "").split(".")[0]
        writer.writerow([student, "", "", "", *([""] * len(names)), f"invalid: {problem}"])
    return buffer.getvalue()


def _number(value: float) -> str:
    return f"{round(value, 4):g}"


def safe_name(student: str) -> str:
    """A student id usable as a file name: nothing that could leave the output folder."""
    name = re.sub(r"[^\w.@-]", "_", student).lstrip(".")
    return name or "_"
