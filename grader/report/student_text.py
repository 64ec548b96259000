"""A report section quoting the student's own text (a comment graded by hand), escaped.

A check returns `Section(STUDENT_TEXT, title, {"text": ..., "note": ...})`; importing this
module registers its renderer.
"""

from __future__ import annotations

from typing import Any

from markupsafe import escape

from grader.report.html import SECTION_RENDERERS

STUDENT_TEXT = "texte-etudiant"


def render_student_text(data: dict[str, Any]) -> str:
    """The text as the student wrote it (line breaks kept), with an optional note above it."""
    note = f"<p>{escape(str(data['note']))}</p>" if data.get("note") else ""
    text = escape(str(data.get("text", "")))
    return f'{note}<blockquote style="white-space: pre-wrap">{text}</blockquote>'


SECTION_RENDERERS.setdefault(STUDENT_TEXT, render_student_text)
