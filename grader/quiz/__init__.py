"""QCM quizzes: specs, scoring schemes, per-student shuffling, item analysis, import/export.

Question kinds live in grader/quiz/kinds (one module each, one protocol), bank importers in
grader/quiz/importers (one module per format), the Moodle exports in export.py and moodle.py,
the YAML's JSON Schema in schema.py. What other code uses is exported here.
"""

from grader.quiz.analysis import ItemAnalysis, ItemStats, OptionStats, TestStats, analyse
from grader.quiz.answers import AnswerBatch, AnswerSheet, read_answers
from grader.quiz.export import Export, to_gift, to_moodle_xml
from grader.quiz.fractions import snap_weight
from grader.quiz.render import (
    render_item_analysis,
    render_item_analysis_page,
    render_quiz_page,
    render_quiz_section,
    render_student_report,
)
from grader.quiz.responses import interpret
from grader.quiz.run import ClassRun, gradebook_csv, score_class, score_sheets
from grader.quiz.schemes import ChoiceKey, Mark, Reason, score_choice, score_typed
from grader.quiz.scoring import QuestionResult, QuizResult, result_to_dict, score_quiz
from grader.quiz.shuffle import StudentForm, build_form
from grader.quiz.spec import Quiz, load_quiz, parse_quiz

__all__ = [
    "AnswerBatch",
    "AnswerSheet",
    "ChoiceKey",
    "ClassRun",
    "Export",
    "ItemAnalysis",
    "ItemStats",
    "Mark",
    "OptionStats",
    "QuestionResult",
    "Quiz",
    "QuizResult",
    "Reason",
    "StudentForm",
    "TestStats",
    "analyse",
    "build_form",
    "gradebook_csv",
    "interpret",
    "load_quiz",
    "parse_quiz",
    "read_answers",
    "render_item_analysis",
    "render_item_analysis_page",
    "render_quiz_page",
    "render_quiz_section",
    "render_student_report",
    "result_to_dict",
    "score_choice",
    "score_class",
    "score_quiz",
    "score_sheets",
    "score_typed",
    "snap_weight",
    "to_gift",
    "to_moodle_xml",
]
