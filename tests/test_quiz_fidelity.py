"""Exports that Moodle reads as grader meant: exact numbers, LaTeX kept, the scheme's fractions,
and raw HTML sanitised the same way in grader's copies and in the exports (issue 20: 1, 3, 4, 9).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import lxml.html
import pytest
from markdown_it import MarkdownIt

from grader.quiz.export import to_gift, to_moodle_xml
from grader.quiz.moodle import exact_number
from grader.quiz.render import render_quiz_page
from grader.quiz.shuffle import key_form
from grader.quiz.spec import Quiz, load_quiz, parse_quiz
from tests.test_report_browser import CHROMIUM, open_in_chromium, problems

COURSE = Path(__file__).parents[1] / "quizzes" / "qcm-transformers.yaml"


@pytest.fixture(scope="module")
def course() -> Quiz:
    return load_quiz(COURSE).spec


def questions_of(xml_text: str) -> dict[str, ET.Element]:
    root = ET.fromstring(xml_text)
    return {
        q.findtext("name/text") or "": q
        for q in root.findall("question")
        if q.get("type") != "category"
    }


def fractions(question: ET.Element) -> list[str]:
    return [answer.get("fraction") or "" for answer in question.findall("answer")]


# --- 1. numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (38597376.0, "38597376"),
        (1256, "1256"),
        (0.1, "0.1"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e-7, "0.0000001"),
        (123456789.125, "123456789.125"),
        (-2.5e20, "-250000000000000000000"),
    ],
)
def test_numbers_are_exact_and_never_in_exponent_form(value: float, text: str) -> None:
    assert exact_number(value) == text
    assert float(text) == value


def test_the_course_numbers_survive_both_exports(course: Quiz) -> None:
    emb = questions_of(to_moodle_xml(course).text)["emb-parametres"]
    answers = [(a.findtext("text"), a.findtext("tolerance")) for a in emb.findall("answer")]
    assert answers == [("38597376", "0"), ("38597376", "385973.76")]
    gift = to_gift(course).text
    assert "=%100%38597376:0\n" in gift
    assert "=%50%38597376:385973.76#" in gift
    assert "e+" not in gift


# --- 3. LaTeX --------------------------------------------------------------------------------


def test_latex_is_html_with_mathjax_delimiters(course: Quiz) -> None:
    """FORMAT_HTML keeps `\\(` (Markdown would eat the backslash): grader/quiz/richtext.py."""
    # why not Markdown: CommonMark, like Moodle's Markdown, reads `\(` as an escaped `(`
    assert MarkdownIt("commonmark").renderInline(r"\(x\)") == "(x)"
    exported = to_moodle_xml(course).text
    root = ET.fromstring(exported)
    formats = {element.get("format") for element in root.iter() if element.get("format")}
    assert formats <= {"html", "moodle_auto_format"}
    similarity = questions_of(exported)["emb-cosinus"]
    text = similarity.findtext("questiontext/text") or ""
    assert r"\(u = (1, 0, 1)\)" in text
    assert "$" not in text
    gift = to_gift(course).text
    assert r"[html]<p>Quelle est la similarité cosinus entre \\(u \= (1, 0, 1)\\)" in gift


def test_tex_with_html_characters_is_escaped_once() -> None:
    quiz = parse_quiz(
        "id: t\ntitle: T\nquestions:\n  - {id: q, kind: true-false, answer: true,\n"
        "     text: 'Si $a < b$ et $$a \\& b$$'}\n"
    ).spec
    text = questions_of(to_moodle_xml(quiz).text)["q"].findtext("questiontext/text")
    assert text == r"<p>Si \(a &lt; b\) et \[a \&amp; b\]</p>"


# --- 4. fractions from the scheme ---------------------------------------------------------------


def test_rexams_false2_is_exported_exactly(course: Quiz) -> None:
    exported = to_moodle_xml(course)
    multi = questions_of(exported.text)["tok-sous-mots"]
    # 2 right of 5: +1/2 each; false2: -1/max(3, 2) per wrong tick; « aucune » exclusive
    assert fractions(multi) == ["50", "-33.33333", "50", "-33.33333", "-100"]
    assert not [w for w in exported.warnings if w.startswith("tok-sous-mots: Moodle cannot score")]
    assert not [w for w in exported.warnings if "add up" in w]
    # « Aucune de ces réponses » stays last on grader's copies; Moodle needs to be told
    assert (
        "tok-sous-mots: Moodle cannot keep a `fixed` option in place; answer shuffling is "
        "turned off for this question" in exported.warnings
    )
    assert (
        "tok-sous-mots: GIFT cannot keep a `fixed` option in place nor turn shuffling off; "
        "untick 'Shuffle the choices' for it in Moodle" in to_gift(course).warnings
    )


SCHEMES = parse_quiz(
    """\
id: schemes
title: Schemes
questions:
  - id: amc-default
    kind: multiple
    points: 2
    text: AMC
    options:
      - {text: A, correct: true}
      - {text: B, correct: true}
      - {text: C}
      - {text: D}
      - {text: E}
  - id: negative-single
    kind: single
    scheme: {kind: negative, penalty: 0.5, floor: -1}
    text: N
    options:
      - {text: A, correct: true}
      - {text: B}
      - {text: C}
  - id: too-much
    kind: multiple
    scheme: {kind: moodle}
    text: W
    options:
      - {text: A, correct: true, weight: 100}
      - {text: B, correct: true, weight: 50}
      - {text: C, weight: -50}
  - id: tf-penalised
    kind: true-false
    scheme: {kind: all-or-nothing, wrong: -0.5}
    text: V
    answer: true
""",
    "schemes.yaml",
).spec


def test_schemes_moodle_cannot_express_are_named_with_the_difference_in_points() -> None:
    exported = to_moodle_xml(SCHEMES)
    xml = questions_of(exported.text)
    assert fractions(xml["amc-default"]) == ["50", "50", "-50", "-50", "-50"]
    assert fractions(xml["negative-single"]) == ["100", "-50", "-50"]
    assert fractions(xml["too-much"]) == ["100", "50", "-50"]
    assert exported.warnings == (
        # AMC's default counts the boxes left alone: one right and one wrong tick are 3 of 5
        "amc-default: Moodle cannot score this question as the scheme 'amc' does: ticking "
        "a, c gives 0 points in Moodle, 1.2 here (largest difference: 1.2 of 2 points)",
        "too-much: the positive fractions add up to 150 %; Moodle needs 100 % in a "
        "multiple-answer question and will refuse it",
        "tf-penalised: Moodle cannot score this question as the scheme 'all-or-nothing' does: "
        "ticking faux gives 0 points in Moodle, -0.5 here (largest difference: 0.5 of 1 points)",
    )
    assert to_gift(SCHEMES).warnings == exported.warnings


# --- 9. raw HTML ---------------------------------------------------------------------------------

HOSTILE = parse_quiz(
    """\
id: html
title: HTML
questions:
  - id: q
    kind: single
    text: |
      Voir <b onclick="alert(1)">ce tableau</b><script>alert(2)</script>
      <img src="http://example.org/x.png"> <a href="javascript:alert(3)">lien</a>
      <table><tr><td>1</td></tr></table> et $x^2$.
    options:
      - {text: '<i style="color:red">oui</i>', correct: true}
      - {text: '<iframe src="http://example.org"></iframe>non'}
""",
    "html.yaml",
).spec


def test_raw_html_is_sanitised_the_same_in_copies_and_exports() -> None:
    exported = questions_of(to_moodle_xml(HOSTILE).text)["q"]
    text = exported.findtext("questiontext/text") or ""
    page = render_quiz_page(HOSTILE, key_form(HOSTILE))
    for html in (text, page):
        tree = lxml.html.fromstring(html)
        assert "alert(" not in html
        assert not tree.xpath("//img | //iframe | //i/@style")
        assert not [href for href in tree.xpath("//a/@href") if "javascript" in href]
        assert tree.xpath("//b[text()='ce tableau']")
        assert tree.xpath("//table//td[text()='1']")
    assert "<b>ce tableau</b>" in text and "<b>ce tableau</b>" in page
    assert r"\(x^2\)" in text
    assert re.search(r"<math[^>]*>.*<msup>", page)  # MathML in grader's own copy
    options = [a.findtext("text") for a in exported.findall("answer")]
    assert options == ["<i>oui</i>", "non"]
    gift = to_gift(HOSTILE).text
    assert "script" not in gift and "onclick" not in gift


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_hostile_html_does_nothing_in_chromium(tmp_path: Path) -> None:
    """The student's copy of a quiz whose texts carry script, handlers, remote images, frames."""
    page = tmp_path / "copy.html"
    page.write_text(render_quiz_page(HOSTILE, key_form(HOSTILE), True), encoding="utf-8")
    visit = open_in_chromium(page, tmp_path / "profile")
    assert problems(visit.events, page) == []  # no console error, no request (img, iframe)
    assert not [e for e in visit.events if e["method"] == "Page.javascriptDialogOpening"]
    assert visit.screenshot.startswith(b"\x89PNG")
