"""The class files derived from the gradebook, one exporter per format.

An exporter takes every current result of a class and returns its files (a path below the
output folder, and the text). A new format is one function here and one line of EXPORTERS; the
output tree writes whatever they return, atomically.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from grader.gradebook.export import gradebook_csv, gradebook_json
from grader.gradebook.lms import gradescope_results, moodle_csv
from grader.report.i18n import Lang
from grader.report.summary import render_summary
from grader.results import GradeReport


@dataclass(frozen=True)
class ClassInfo:
    """What an exporter knows of the class besides its results."""

    assignment: str  # the assignment's id
    title: str
    lang: Lang
    similarity: bool = False  # the folder has a similarity.html the summary links to


Exporter = Callable[[Sequence[GradeReport], ClassInfo], dict[str, str]]


def _gradebook_csv(reports: Sequence[GradeReport], about: ClassInfo) -> dict[str, str]:
    return {"gradebook.csv": gradebook_csv(reports)}


def _gradebook_json(reports: Sequence[GradeReport], about: ClassInfo) -> dict[str, str]:
    return {"gradebook.json": gradebook_json(reports)}


def _moodle(reports: Sequence[GradeReport], about: ClassInfo) -> dict[str, str]:
    return {"moodle.csv": moodle_csv(reports, about.title)}


def _gradescope(reports: Sequence[GradeReport], about: ClassInfo) -> dict[str, str]:
    return {
        f"gradescope/{report.student}.json": _json_text(gradescope_results(report))
        for report in reports
    }


def _summary(reports: Sequence[GradeReport], about: ClassInfo) -> dict[str, str]:
    summary = render_summary(
        reports, about.assignment, about.title, about.lang, similarity=about.similarity
    )
    return {"summary.html": summary}


def _json_text(payload: object) -> str:
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


EXPORTERS: dict[str, Exporter] = {
    "gradebook-csv": _gradebook_csv,
    "gradebook-json": _gradebook_json,
    "moodle": _moodle,
    "gradescope": _gradescope,
    "summary": _summary,
}
