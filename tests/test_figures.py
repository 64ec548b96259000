"""Figures as data: what a real kernel's matplotlib figures look like to a check, the bounds a
hostile notebook meets, and one test per figure expectation (grader.checks.expect)."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from grader.checks import CheckFailed, expect
from grader.checks.figures import read_figures
from grader.checks.probe import Notebook, ProbeError
from grader.messages import say
from grader.report.sections import render_section
from grader.results import PNG_MAGIC, _bounded_section
from grader.sandbox.figures import ARTISTS, FIGURES, POINTS
from grader.sandbox.limits import Limits
from grader.text import TextBudget
from tests.conftest import module_notebook, probed_notebook

pytestmark = pytest.mark.kernel

CELLS = [
    "import matplotlib.pyplot as plt\nimport numpy as np",
    # 1: learning curves on log-log axes, shown (plt.show closes the figure at once)
    "sizes = np.array([100, 500, 1000])\n"
    "fig, ax = plt.subplots()\n"
    "ax.loglog(sizes, 1 / sizes, label='train')\n"
    "ax.loglog(sizes, 2 / sizes, label='validation')\n"
    "ax.set_xlabel('taille')\nax.set_ylabel('perte')\nax.set_title('Courbes')\nax.legend()\n"
    "plt.show()",
    "x = 1",
    # 3: a decision boundary over points, left open: the inline backend shows it at the cell's end
    "xx, yy = np.meshgrid(np.linspace(0, 1, 20), np.linspace(0, 1, 20))\n"
    "fig, ax = plt.subplots()\n"
    "ax.contourf(xx, yy, xx > yy)\n"
    "ax.scatter([0.2, 0.8], [0.7, 0.1])",
    # 4: a heatmap and bars in two axes of one figure
    "fig, (left, right) = plt.subplots(1, 2)\n"
    "left.imshow(np.arange(12.0).reshape(3, 4))\n"
    "right.bar(['a', 'b', 'c'], [3, 1, 2])\n"
    "right.set_title('titre \\ud800 \\x1b[31m')\n"
    "plt.show()",
    # 5: closed without being shown: recorded all the same
    "fig = plt.figure()\nplt.plot([0, 1], [5, 6])\nplt.close(fig)",
    # 6: hostile: a line of 10^8 points (a view: no memory), and hundreds of figures
    "from matplotlib.lines import Line2D\n"
    "huge = np.broadcast_to(1.0, (10**8,))\n"
    "fig, ax = plt.subplots()\n"
    "ax.add_artist(Line2D(huge, huge))\n"
    "plt.close(fig)\n"
    "for _ in range(600):\n"
    "    plt.close(plt.figure())",
]


nb = module_notebook(CELLS, Limits(cell_timeout_s=120, notebook_timeout_s=600), 30)


def test_each_figure_says_which_cell_made_it_and_what_it_holds(nb: Notebook) -> None:
    figures = nb.figures()
    assert [f.cell for f in figures[:4]] == [1, 3, 4, 5]
    curves = figures[0].axes[0]
    assert (curves.xscale, curves.yscale, curves.title) == ("log", "log", "Courbes")
    assert curves.legend == ("train", "validation") and curves.labelled
    np.testing.assert_allclose(curves.lines[1].y, 2 / np.array([100, 500, 1000]))
    boundary = figures[1].axes[0]
    assert boundary.contours[0].filled and boundary.scatters[0].offsets.shape == (2, 2)
    heatmap, bars = figures[2].axes
    assert heatmap.images[0].shape == (3, 4)
    np.testing.assert_array_equal(bars.bars[0].heights, [3, 1, 2])
    assert "\\x1b" in bars.title and "\ud800" not in bars.title  # made safe
    np.testing.assert_array_equal(figures[3].axes[0].lines[0].y, [5, 6])


def test_a_hostile_notebook_meets_the_bounds(nb: Notebook) -> None:
    figures = nb.figures()  # its time: benchmarks/bench_figures.py
    assert len(figures) == FIGURES  # 600 more figures: not recorded
    huge = figures[4].axes[0].lines[0]
    assert huge.truncated and huge.x.shape == huge.y.shape == (POINTS // 2,)


def test_a_tampered_answer_is_unreadable_not_a_crash() -> None:
    cells = [{"cell_type": "code", "execution_count": 1}]
    with pytest.raises(ValueError):
        read_figures({"figures": [{"cell": "1", "axes": []}]}, cells)
    with pytest.raises(ValueError):
        read_figures(
            {"figures": [{"cell": 1, "suptitle": "", "axes": [{}], "more_axes": 0}]}, cells
        )
    assert read_figures(None, cells) == []


def test_the_probe_refuses_a_tampered_recorder(tmp_path_factory: pytest.TempPathFactory) -> None:
    cells = ["get_ipython().grader_figures = lambda: {'figures': [{'cell': [1]}]}"]
    scratch, limits = tmp_path_factory.mktemp("t"), Limits(cell_timeout_s=60)
    with probed_notebook(scratch, cells, limits, 30) as nb, pytest.raises(ProbeError) as info:
        nb.figures()
    assert info.value.message == (
        "le relevé des figures du notebook a renvoyé une valeur illisible"
    )


def test_artists_of_each_kind_are_capped_the_first_ones_kept(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Twice ARTISTS scatters and bars, each after a filled area (a collection of another
    kind): the kernel sends the first ARTISTS of each kind, not the others nor the areas, and
    grader reads them so."""
    cells = [
        "import matplotlib.pyplot as plt\n"
        "fig, ax = plt.subplots()\n"
        f"for i in range({2 * ARTISTS}):\n"
        "    ax.fill_between([0, 1], [i, i])\n"
        "    ax.scatter([i], [i], label=f's{i}')\n"
        "    ax.bar([i], [i], label=f'b{i}')\n"
        "plt.show()"
    ]
    scratch, limits = tmp_path_factory.mktemp("t"), Limits(cell_timeout_s=60)
    with probed_notebook(scratch, cells, limits, 30) as nb:
        (sent,) = nb._ask({"op": "figures", "name": None}, say("subject.figures"))["figures"]
        (figure,) = nb.figures()
    assert len(sent["axes"][0]["scatters"]) == len(sent["axes"][0]["bars"]) == ARTISTS
    (axes,) = figure.axes
    assert [scatter.label for scatter in axes.scatters] == [f"s{i}" for i in range(ARTISTS)]
    assert [bars.label for bars in axes.bars] == [f"b{i}" for i in range(ARTISTS)]


# --- one test per figure expectation, on the real figures above ---


def test_axes_with_log_scales_and_two_labelled_series(nb: Notebook) -> None:
    (found,) = expect.axes(nb, "pertes", xscale="log", yscale="log", lines=2, labelled=True)
    assert found.title == "Courbes"
    with pytest.raises(CheckFailed) as info:
        expect.axes(nb, "pertes", xscale="log", lines=3)
    assert info.value.message == "pertes : le graphique a 2 courbe(s), au moins 3 attendues"


def test_one_curve_per_training_size_by_legend(nb: Notebook) -> None:
    expect.axes(nb, "courbes", legend=["train", "validation"])
    with pytest.raises(CheckFailed) as info:
        expect.axes(nb, "courbes", legend=["train", "1000"])
    assert "aucune entrée de la légende ne contient « 1000 »" in info.value.message


def test_a_decision_boundary_over_points(nb: Notebook) -> None:
    expect.axes(nb, "frontière", contour=True, scatter=True)
    with pytest.raises(CheckFailed) as info:
        expect.axes(nb, "frontières", contour=True, scatter=True, count=3)
    assert info.value.message.startswith("frontières : 1 graphique(s) conforme(s) sur 3 attendus")


def test_a_heatmap_of_a_shape(nb: Notebook) -> None:
    expect.axes(nb, "carte", heatmap=(3, 4))
    with pytest.raises(CheckFailed) as info:
        expect.axes(nb, "carte", heatmap=(4, 3))
    assert info.value.message == (
        "carte : le graphique ne montre pas de carte de chaleur de forme (4, 3)"
    )


def test_bars_and_the_figure_that_holds_them(nb: Notebook) -> None:
    assert expect.figure(nb, "barres", bars=3).cell == 4
    with pytest.raises(CheckFailed):
        expect.axes(nb, "barres", bars=4)


def test_a_failure_shows_the_students_own_image(nb: Notebook) -> None:
    with pytest.raises(CheckFailed) as info:
        expect.axes(nb, "frontière", contour=True, scatter=True, labelled=True)  # cell 3: no label
    section = info.value.section
    assert section is not None and section.kind == "figure" and section.data["cell"] == 3
    assert base64.b64decode(section.data["png"]).startswith(b"\x89PNG\r\n\x1a\n")
    html = str(render_section({"kind": "figure", "data": section.data}, "fr"))
    assert '<img alt="votre figure (cellule 4)"' in html and "data:image/png;base64," in html


def test_a_forged_figure_section_is_not_drawn() -> None:
    for png in ("<script>", base64.b64encode(b"GIF89a...").decode(), 7):
        html = str(render_section({"kind": "figure", "data": {"cell": 0, "png": png}}, "en"))
        assert "<img" not in html and "unreadable image" in html


def test_plotted_numbers_match_a_rerun(nb: Notebook) -> None:
    (curves,) = expect.axes(nb, "pertes", lines=2)
    expect.plotted(curves, 1 / np.array([100, 500, 1000]), "train")
    with pytest.raises(CheckFailed) as info:
        expect.plotted(curves, [0.5, 0.4, 0.3], "train")
    assert "aucune courbe tracée ne correspond" in info.value.message


def test_no_figure_at_all(tmp_path_factory: pytest.TempPathFactory) -> None:
    scratch, limits = tmp_path_factory.mktemp("n"), Limits(cell_timeout_s=60)
    with probed_notebook(scratch, ["x = 1"], limits, 30) as nb, pytest.raises(CheckFailed) as info:
        expect.axes(nb, "courbes", lines=1)
    assert info.value.message == "courbes : le notebook n'a tracé aucune figure matplotlib"


# --- noisy numbers: trends, slopes, floors ---


def test_a_trend_by_rank_correlation() -> None:
    expect.trend([100, 500, 1000], [0.30, 0.12, 0.05], "écart", increasing=False)
    expect.trend([1, 2, 3, 4], [1.0, 3.0, 2.9, 5.0], "précision", at_least=0.7)
    with pytest.raises(CheckFailed) as info:
        expect.trend([100, 500, 1000], [0.1, 0.2, 0.3], "écart", increasing=False)
    assert info.value.message == (
        "écart : la tendance n'est pas décroissante (corrélation de rang 1)"
    )


def test_a_log_log_slope_within_a_band() -> None:
    lengths = np.array([32, 64, 128, 256])
    assert expect.slope(
        lengths, 1e-6 * lengths**2, "attention", low=1.5, high=2.5
    ) == pytest.approx(2)
    with pytest.raises(CheckFailed) as info:
        expect.slope(lengths, 1e-6 * lengths, "attention", low=1.5, high=2.5)
    assert info.value.message == "attention : pente log–log 1, attendu entre 1,5 et 2,5"
    assert "1,5" not in info.value.redacted
    with pytest.raises(CheckFailed):
        expect.slope(lengths, np.zeros(4), "attention", low=1.5, high=2.5)


def test_a_floor_and_a_ceiling() -> None:
    expect.at_least(0.91, 0.8, "précision")
    expect.at_most([0.1], 0.3, "précision")
    for below in (0.5, float("nan")):
        with pytest.raises(CheckFailed):
            expect.at_least(below, 0.8, "précision")
    with pytest.raises(CheckFailed) as info:
        expect.at_most(0.9, 0.3, "précision sur des étiquettes inversées")
    assert info.value.message == "précision sur des étiquettes inversées : 0,9, attendu au plus 0,3"
    assert (
        info.value.redacted
        == "précision sur des étiquettes inversées : 0,9 dépasse le seuil attendu"
    )


def test_the_report_funnel_keeps_a_png_whole_and_drops_anything_else() -> None:
    png = PNG_MAGIC + bytes(200_000)  # past every text budget of a report
    for encoded, kept in ((base64.b64encode(png).decode(), True), ("<svg onload=x>", False)):
        section = {"kind": "figure", "title": "t", "data": {"cell": 1, "png": encoded}}
        bounded = _bounded_section(section, TextBudget())
        assert bounded is not None and bounded["data"].get("png") == (encoded if kept else None)
