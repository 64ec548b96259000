"""QCM quizzes: specs, scoring schemes, per-student shuffling, item analysis, import/export.

Question kinds live in grader/quiz/kinds (one module each, one protocol), bank importers in
grader/quiz/importers (one module per format), the Moodle exports in export.py and moodle.py,
the YAML's JSON Schema in schema.py. What other code uses is exported here,
each name imported from its module when first used (grader/lazy.py): the command line reads
`grader quiz --help` without importing any.
"""

from __future__ import annotations

from grader.lazy import lazy_exports

_MODULES = {
    "grader.quiz.analysis": (
        "ItemAnalysis",
        "ItemStats",
        "OptionStats",
        "TestStats",
        "analyse",
    ),
    "grader.quiz.answers": (
        "AnswerBatch",
        "AnswerSheet",
        "read_answers",
    ),
    "grader.quiz.export": (
        "Export",
        "to_gift",
        "to_moodle_xml",
    ),
    "grader.quiz.fractions": ("snap_weight",),
    "grader.quiz.render": (
        "render_item_analysis",
        "render_item_analysis_page",
        "render_quiz_page",
        "render_quiz_section",
        "render_student_report",
    ),
    "grader.quiz.responses": ("interpret",),
    "grader.quiz.run": (
        "ClassRun",
        "gradebook_csv",
        "score_class",
        "score_sheets",
    ),
    "grader.quiz.schemes": (
        "ChoiceKey",
        "Mark",
        "Reason",
        "score_choice",
        "score_typed",
    ),
    "grader.quiz.scoring": (
        "QuestionResult",
        "QuizResult",
        "result_to_dict",
        "score_quiz",
    ),
    "grader.quiz.shuffle": (
        "StudentForm",
        "build_form",
    ),
    "grader.quiz.spec": (
        "Quiz",
        "load_quiz",
        "parse_quiz",
    ),
}
__getattr__ = lazy_exports(globals(), _MODULES)
__all__ = sorted(name for names in _MODULES.values() for name in names)
