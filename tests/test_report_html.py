"""The student's report and the class summary: what they show, in French and in English."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from grader import messages
from grader.checks.api import CheckFailed
from grader.checks.runner import Check, run_check
from grader.messages import load_catalogue
from grader.report import i18n
from grader.report.html import render_report
from grader.report.i18n import Lang, translator
from grader.report.sections import SECTION_RENDERERS, array_comparison, render_section
from grader.report.summary import render_summary
from grader.results import CriterionScore, Outcome, Section
from tests.report_builders import SECRET, late, make_report


def test_every_catalogue_entry_has_both_languages() -> None:
    for catalogue in (i18n.catalogue(), messages.catalogue()):
        for key, texts in catalogue.items():
            assert len(texts) == 2 and all(isinstance(t, str) and t for t in texts), key
    assert translator("en")("late_text", submitted="a", due="b", days=2, penalty="1").startswith(
        "handed in on a"
    )


def test_a_key_written_twice_in_a_catalogue_is_an_error(tmp_path: Path) -> None:
    """A dict literal had ruff to catch a repeated key; the YAML catalogues have their loader."""
    path = tmp_path / "words.yaml"
    path.write_text(
        'a:\n  fr: "un"\n  en: "one"\nb:\n  fr: "x"\n  en: "y"\na:\n  fr: "deux"\n  en: "two"\n'
    )
    with pytest.raises(ValueError, match=r"words.yaml:7: 'a' is defined twice"):
        load_catalogue(path)


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
    assert "abababababab" in html
    # the date as a person writes it, in the machine's time zone (grader.formats.date)
    assert "novembre 2026 à " in html and "2026-11-22T05:00:00" not in html


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
    assert "sortie, élément [0, 0] : 1 est hors tolérance" in html
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


def test_every_section_kind_has_a_renderer() -> None:
    # The bench renderer is exercised in tests/test_bench_notebook.py with a real result.
    assert {"array", "attention", "tokens", "bench"} <= set(SECTION_RENDERERS)


def test_summary_has_pass_rates_failing_and_slowest_notebooks() -> None:
    reports = [make_report("alice"), make_report("bruno", score_shift=4.0)]
    html = render_summary(reports, "tp-mini", "TP mini")
    assert "Réussite par critère" in html and "Réussite par vérification" in html
    assert "Notebooks en échec" in html and "Notebooks les plus lents" in html
    assert "4 / 6" in html  # mean points of the attention criterion: (2 + 6) / 2
    assert "1 / 2" in html  # one student has full marks on it
    assert html.index("bruno") < html.rindex("alice")


@pytest.mark.parametrize(("hidden", "kept"), [(False, True), (True, False)])
def test_a_failed_check_carries_its_section_unless_hidden(hidden: bool, kept: bool) -> None:
    def wrong_weights(nb: object, rng: object) -> None:
        raise CheckFailed(
            "poids faux",
            section=array_comparison(np.eye(2), np.full((2, 2), 0.5), "poids"),
        )

    check = Check("poids.valeurs", hidden, wrong_weights, 1, "wrong_weights")
    result = run_check(check, None, np.random.default_rng(0))  # type: ignore[arg-type]
    assert result.outcome is Outcome.FAILED
    assert (result.section is not None) is kept
    html = render_report(
        replace(make_report(), criteria=(CriterionScore("c", "C", 0, 1, (result,)),)), "T"
    )
    assert ("<caption>attendu</caption>" in html) is kept


@pytest.mark.parametrize(
    ("kind", "shown"), [("bench", True), ("student-text", True), ("array", False), ("new", False)]
)
def test_a_passing_hidden_check_shows_a_section_of_the_students_own_material_only(
    kind: str, shown: bool
) -> None:
    """A kind not known to draw the student's material alone (a new one) stays hidden."""

    def passes(nb: object, rng: object) -> Section:
        return Section(kind, "titre", {"text": "sortie"})

    result = run_check(Check("c.cachee", True, passes, 1, "passes"), None, np.random.default_rng(0))  # type: ignore[arg-type]
    assert result.outcome is Outcome.PASSED
    assert (result.section is not None) is shown


@pytest.mark.parametrize(
    ("shape", "worst", "lead", "top", "left"),
    [
        ((3,), (1,), [], 0, 0),
        ((20, 20), (15, 3), [], 11, 0),
        ((20, 20), (19, 19), [], 12, 12),
        ((2, 4, 10, 12), (1, 2, 5, 11), [1, 2], 1, 4),
    ],
)
def test_array_window_is_centred_on_the_worst_cell(
    shape: tuple[int, ...], worst: tuple[int, ...], lead: list[int], top: int, left: int
) -> None:
    expected = np.zeros(shape)
    got = expected.copy()
    got[worst] = 1.0
    data = array_comparison(got, expected, "x").data
    assert (data["lead"], data["top"], data["left"]) == (lead, top, left)
    row, col = (worst[-2], worst[-1]) if len(shape) > 1 else (0, worst[0])
    assert data["worst"] == [[row - top, col - left]]
    assert len(data["got"]) <= 8 and all(len(line) <= 8 for line in data["got"])


@pytest.mark.parametrize(
    ("lang", "sentence"),
    [("fr", "poids : forme () au lieu de 2×2"), ("en", "poids: shape () instead of 2×2")],
)
def test_arrays_of_different_shapes_show_the_two_shapes(lang: Lang, sentence: str) -> None:
    """A student's scalar where a matrix was expected: the check author's comparison does not
    raise (it would be a check error, the instructor's), it says the two shapes."""
    section = array_comparison(0.5, np.eye(2), "poids")
    assert section.kind == "shapes"
    assert sentence in render_section({"kind": section.kind, "data": section.data}, lang)
