"""HTML for quizzes: a student's result, the item analysis, and a student's own quiz page.

Templates live in grader/quiz/templates (jinja2, autoescape on). Question texts are Markdown or
HTML, sanitised by the allow-list of grader/quiz/richtext.py (the exports use the same), with
LaTeX turned into MathML, which browsers draw without any script or network request, so every
page works offline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup, escape

from grader import formats
from grader.quiz.analysis import ItemAnalysis
from grader.quiz.kinds import kind_of, worth
from grader.quiz.plots import facility_discrimination, histogram
from grader.quiz.richtext import TextFormat, to_html
from grader.quiz.schemes import Reason
from grader.quiz.scoring import QuestionResult, QuizResult
from grader.quiz.shuffle import StudentForm, display_label
from grader.quiz.spec import ChoiceQuestion, Quiz

ENVIRONMENT = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)

REASONS = {
    Reason.OK: "juste",
    Reason.PARTIAL: "partiel",
    Reason.WRONG: "faux",
    Reason.EMPTY: "sans réponse",
    Reason.INCOHERENT: "incohérent",
    Reason.INVALID: "réponse invalide",
}
FLAGS = {
    "negative-discrimination": "discrimination négative",
    "too-easy": "trop facile",
    "too-hard": "trop difficile",
    "unused-distractor": "distracteur inutilisé",
    "check-key": "vérifier la clé",
    "not-asked": "jamais posée",
}


def markdown(text: str | None, inline: bool = False, source: TextFormat = "markdown") -> Markup:
    """A question's text as safe HTML, its LaTeX as MathML (grader/quiz/richtext.py)."""
    return Markup(to_html(text or "", source, inline))


def fmt(value: float | None, digits: int = 2) -> str:
    """A number as read in French: decimal comma, no trailing zeros."""
    return "—" if value is None else formats.points(value, "fr", digits)


def pct(value: float) -> str:
    return f"{100 * value:.0f} %"


def flag_text(flag: str) -> str:
    name, _, option = flag.partition(":")
    label = FLAGS.get(name, name)
    return f"{label} ({option})" if option else label


def render_quiz_section(result: QuizResult, quiz: Quiz | None = None) -> str:
    """The quiz part of a student's report, as an HTML fragment."""
    rows = [_row(question, quiz) for question in result.questions]
    title = quiz.title if quiz else result.quiz_id
    return ENVIRONMENT.get_template("quiz_section.html.j2").render(
        result=result, rows=rows, title=title, fmt=fmt, reasons=REASONS
    )


def render_student_report(result: QuizResult, quiz: Quiz | None = None) -> str:
    section = Markup(render_quiz_section(result, quiz))
    return ENVIRONMENT.get_template("student_report.html.j2").render(result=result, section=section)


def _row(result: QuestionResult, quiz: Quiz | None) -> dict[str, Any]:
    question = quiz.question(result.question_id) if quiz else None
    labels = {oid: display_label(n) for n, oid in enumerate(result.option_order)}
    if question is not None:
        labels = kind_of(question).labels(question, result.option_order)
    texts: dict[str, str] = {}
    notes: list[Markup] = []
    if isinstance(question, ChoiceQuestion):
        by_id = dict(zip(question.option_ids(), question.options, strict=True))
        texts = {oid: option.text for oid, option in by_id.items()}
        notes = [
            Markup("<strong>{}</strong> : {}").format(
                labels.get(oid, oid), markdown(by_id[oid].feedback, True, question.format)
            )
            for oid in result.selected
            if by_id[oid].feedback
        ]
    source: TextFormat = question.format if question else "markdown"

    def describe(option_ids: tuple[str, ...]) -> Markup:
        shown = [
            Markup("<strong>{}</strong> {}").format(
                labels.get(oid, oid), markdown(texts.get(oid, ""), True, source)
            )
            for oid in sorted(option_ids, key=lambda oid: labels.get(oid, oid))
        ]
        return Markup("<br>").join(shown)

    if result.problem is not None:
        given = Markup('{}<div class="note">{}</div>').format(result.given or "", result.problem)
        expected = describe(result.key) if question_is_choice(result) else _answers(result)
    elif question_is_choice(result):
        given, expected = describe(result.selected), describe(result.key)
    else:
        given, expected = Markup(escape(result.given or "")), _answers(result)
    return {
        "result": result,
        "text": markdown(question.text, False, source) if question else None,
        "feedback": markdown(question.feedback, True, source) if question else None,
        "notes": notes,
        "given": given if result.reason != Reason.EMPTY else Markup("<em>(vide)</em>"),
        "expected": expected,
    }


def question_is_choice(result: QuestionResult) -> bool:
    return result.kind in {"single", "multiple", "true-false"}


def _answers(result: QuestionResult) -> Markup:
    return Markup("<br>").join(escape(answer) for answer in result.key)


def render_item_analysis(analysis: ItemAnalysis) -> str:
    """The item analysis as an HTML fragment: test statistics, plots, item and option tables."""
    return ENVIRONMENT.get_template("item_analysis_section.html.j2").render(
        analysis=analysis,
        histogram=histogram(analysis.percents),
        scatter=facility_discrimination(analysis.items),
        fmt=fmt,
        pct=pct,
        flag_text=flag_text,
    )


def render_item_analysis_page(analysis: ItemAnalysis, title: str) -> str:
    return ENVIRONMENT.get_template("item_analysis.html.j2").render(
        analysis=analysis, title=title, section=Markup(render_item_analysis(analysis))
    )


def render_quiz_page(quiz: Quiz, form: StudentForm, self_check: bool = False) -> str:
    """A student's own quiz, in their order; the key is embedded only in self-check mode."""
    questions = []
    key: dict[str, Any] = {}
    for asked in form.questions:
        question = quiz.question(asked.question_id)
        options, key[question.id] = kind_of(question).page(question, asked)
        questions.append(
            {
                "id": question.id,
                "kind": question.kind,
                "points": worth(quiz, question),
                "html": markdown(question.text, False, question.format),
                "options": options,
                "unit": getattr(question, "unit", None),
                "feedback": markdown(question.feedback, False, question.format),
            }
        )
    key_json = Markup(json.dumps(key, ensure_ascii=False).replace("</", "<\\/"))
    return ENVIRONMENT.get_template("quiz_page.html.j2").render(
        title=quiz.title,
        description=markdown(quiz.description),
        student=form.student,
        questions=questions,
        self_check=self_check,
        key_json=key_json,
        fmt=fmt,
    )
