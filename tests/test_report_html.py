"""The student's report and the class summary: what they show, in French and in English."""

from __future__ import annotations

import re

import pytest

from grader.report.html import render_report
from grader.report.i18n import CATALOGUE, translator
from grader.report.sections import SECTION_RENDERERS
from grader.report.summary import render_summary
from tests.report_builders import SECRET, late, make_report


def test_every_catalogue_entry_has_both_languages() -> None:
    assert all(len(pair) == 2 and all(pair) for pair in CATALOGUE.values())
    assert translator("en")("late_text", submitted="a", due="b", days=2, penalty="1").startswith(
        "handed in on a"
    )


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "fr",
            [
                "Critères",
                "à noter par l'enseignant·e",
                "Exécution",
                "vos poids d'attention",
                "échoué",
            ],
        ),
        (
            "en",
            [
                "Criteria",
                "awaiting the instructor's mark",
                "Execution",
                "your attention weights",
                "failed",
            ],
        ),
    ],
)
def test_report_speaks_the_requested_language(lang: str, words: list[str]) -> None:
    html = render_report(make_report(), "TP mini", lang)  # type: ignore[arg-type]
    assert f'<html lang="{lang}">' in html
    for word in words:
        assert word.replace("'", "&#39;") in html or word in html


def test_header_names_student_assignment_score_date_and_hash() -> None:
    html = render_report(make_report(), "TP mini")
    assert "alice" in html and "TP mini" in html and "4 / 14" in html
    assert "2026-11-22T05:00:00+00:00" in html and "abababababab" in html


def test_array_view_highlights_the_worst_cell() -> None:
    html = render_report(make_report(), "TP mini")
    worst = re.findall(r'<td class="num worst">([^<]*)</td>', html)
    assert worst == ["0,9", "0"]  # the same cell in the student's table and the reference's
    assert "3×3" in html


def test_attention_heatmaps_side_by_side_and_token_alignment() -> None:
    html = render_report(make_report(), "TP mini")
    assert html.count('class="pane"') >= 4  # two arrays + two heatmaps
    assert html.count("<svg") == 2
    assert "premier écart au token 0" in html and "Bon" in html and "Bonjour" in html


def test_hidden_check_shows_its_message_never_its_expected_values() -> None:
    html = render_report(make_report(), "TP mini")
    assert "écart 0.9 avec la référence" in html
    assert "0,1235" not in html and str(SECRET) not in html and "0.1235" not in html


def test_late_penalty_and_manual_criterion_are_shown() -> None:
    html = render_report(late(make_report()), "TP mini")
    assert "1 jour(s) de retard" in html and "1,4 point(s) retiré(s)" in html
    assert "2,6 / 14" in html


def test_execution_log_names_the_failed_cell_and_its_error() -> None:
    html = render_report(make_report(), "TP mini")
    assert "ZeroDivisionError: division by zero" in html
    assert "<td>4</td>" in html  # cell index 3 is the fourth cell


def test_report_is_self_contained() -> None:
    html = render_report(make_report(), "TP mini") + render_summary(
        [make_report()], "tp-mini", "TP mini"
    )
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "<link" not in html and "<script" not in html and "@import" not in html


def test_bench_sections_have_a_renderer() -> None:
    assert {"array", "attention", "tokens", "bench"} <= set(SECTION_RENDERERS)
    html = render_report(make_report(), "TP mini", "en")
    assert "Prompt Zéro exemple" in html and "mean 1.5 / 2" in html


def test_summary_has_pass_rates_failing_and_slowest_notebooks() -> None:
    reports = [make_report("alice"), make_report("bruno", score_shift=4.0)]
    html = render_summary(reports, "tp-mini", "TP mini")
    assert "Réussite par critère" in html and "Réussite par vérification" in html
    assert "Notebooks en échec" in html and "Notebooks les plus lents" in html
    assert "4 / 6" in html  # mean points of the attention criterion: (2 + 6) / 2
    assert "1 / 2" in html  # one student has full marks on it
    assert html.index("bruno") < html.rindex("alice")
