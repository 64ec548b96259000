"""Expectations on a notebook's figures, read as data (grader.checks.figures).

Check authors reach them through grader.checks.expect, beside expect.trend, expect.slope,
expect.at_least and expect.at_most for the noisy numbers the figures plot:

    found = expect.axes(nb, "courbes d'apprentissage", lines=3, labelled=True)
    expect.axes(nb, "frontières de décision", count=3, contour=True, scatter=True)
    expect.axes(nb, "temps contre T", xscale="log", yscale="log", lines=2)
    expect.plotted(found[0], rerun_values, "validation")   # the curve is what the code computes

`axes` looks for axes meeting every criterion among all the notebook's figures; when there are
too few, it fails on the closest axes' first unmet criterion, with the student's own image of
that figure (the PNG its cell displayed) beside the message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from grader.checks.api import CheckFailed
from grader.checks.figures import Axes, Figure
from grader.messages import Message, say
from grader.report.sections import is_png, student_figure
from grader.results import Section


def axes(nb: Any, what: str, *, count: int = 1, **criteria: Any) -> list[Axes]:
    """`count` axes of the notebook's figures that meet every criterion, in notebook order:
    `lines=N` curves at least, `legend=N` entries or `legend=[texts]` each found in an entry,
    `labelled=True` both axes labelled, `xscale=`/`yscale=` "log" or "linear", `scatter=True`
    points, `contour=True` a contour (a decision boundary), `heatmap=shape` an image or mesh
    of that shape, `bars=N` bars at least."""
    return [found for _, found in _matching(nb, what, count, _criteria(**criteria))]


def figure(nb: Any, what: str, **criteria: Any) -> Figure:
    """The first figure holding axes that meet every criterion (those of `axes`)."""
    return _matching(nb, what, 1, _criteria(**criteria))[0][0]


def _matching(
    nb: Any, what: str, count: int, criteria: list[Criterion]
) -> list[tuple[Figure, Axes]]:
    figures: list[Figure] = nb.figures()
    candidates = [(f, a) for f in figures for a in f.axes]
    if not candidates:
        raise CheckFailed(say("figure.none", what=what))
    unmet = [[c for c in criteria if not c(a)[0]] for _, a in candidates]
    good = [pair for pair, missing in zip(candidates, unmet, strict=True) if not missing]
    if len(good) >= count:
        return good[:count]
    closest = min((i for i, missing in enumerate(unmet) if missing), key=lambda i: len(unmet[i]))
    shown, reason = candidates[closest], unmet[closest][0](candidates[closest][1])[1]
    if good:
        reason = say("figure.too_few", found=len(good), count=count, reason=reason)
    section = view(nb, figures, shown[0], what)
    raise CheckFailed(say("figure.unmet", what=what, reason=reason), section=section)


Criterion = Callable[[Axes], tuple[bool, Message]]


def _criteria(
    lines: int | None = None,
    legend: int | Sequence[str] | None = None,
    labelled: bool = False,
    xscale: str | None = None,
    yscale: str | None = None,
    scatter: bool = False,
    contour: bool = False,
    heatmap: tuple[int, ...] | None = None,
    bars: int | None = None,
) -> list[Criterion]:
    """Each criterion: (met, what is wrong) for one axes."""
    found: list[Criterion] = []
    if lines is not None:
        found.append(_lines(lines))
    if isinstance(legend, int):
        found.append(_legend(legend))
    elif legend is not None:
        found.extend(_legend_entry(text) for text in legend)
    if labelled:
        found.append(lambda a: (a.labelled, say("figure.labels")))
    if xscale is not None:
        found.append(_scale("x", xscale))
    if yscale is not None:
        found.append(_scale("y", yscale))
    if scatter:
        found.append(lambda a: (any(len(s.offsets) for s in a.scatters), say("figure.scatter")))
    if contour:
        found.append(lambda a: (bool(a.contours), say("figure.contour")))
    if heatmap is not None:
        found.append(_heatmap(tuple(heatmap)))
    if bars is not None:
        found.append(_bars(bars))
    return found


def _lines(count: int) -> Criterion:
    return lambda a: (len(a.lines) >= count, say("figure.lines", got=len(a.lines), count=count))


def _legend(count: int) -> Criterion:
    return lambda a: (len(a.legend) >= count, say("figure.legend", got=len(a.legend), count=count))


def _legend_entry(text: str) -> Criterion:
    return lambda a: (any(text in e for e in a.legend), say("figure.legend_entry", text=text))


def _heatmap(shape: tuple[int, ...]) -> Criterion:
    said = say("figure.heatmap", shape=str(shape))
    return lambda a: (any(i.shape == shape for i in a.images), said)


def _bars(count: int) -> Criterion:
    return lambda a: (sum(len(b.heights) for b in a.bars) >= count, say("figure.bars", count=count))


def _scale(axis: str, scale: str) -> Criterion:
    def met(a: Axes) -> tuple[bool, Message]:
        got = a.xscale if axis == "x" else a.yscale
        return got == scale, say("figure.scale", axis=axis, got=got, expected=scale)

    return met


def view(nb: Any, figures: Sequence[Figure], figure: Figure, what: str) -> Section | None:
    """The student's image of `figure` (one of `figures`, nb.figures()), as its cell displayed
    it: a report section, or None when the cell displayed no PNG within the report's bound."""
    if figure.cell is None:
        return None
    images = [png for png in nb.images(figure.cell) if is_png(png)]
    if not images:
        return None
    same_cell = [f for f in figures if f.cell == figure.cell]
    position = same_cell.index(figure) if len(same_cell) == len(images) else 0
    return student_figure(images[position], figure.cell, what)


def plotted(found: Axes, values: Any, what: str, rtol: float = 0.05, atol: float = 0.02) -> None:
    """One curve of `found` is `values` (the numbers the student's code returns, or a rerun of
    it on the grader's seed) within tolerance: a plot of hard-coded numbers fails."""
    wanted = np.asarray(values, dtype=np.float64).ravel()
    for series in found.lines:
        if series.y.shape == wanted.shape and np.allclose(series.y, wanted, rtol, atol):
            return
    raise CheckFailed(say("figure.not_plotted", what=what))
