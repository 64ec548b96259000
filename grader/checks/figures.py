"""A notebook's matplotlib figures as data, read from the kernel's untrusted answer.

The kernel records every figure a cell made (grader.sandbox.figures); `nb.figures()` asks for
them through the probe channel and gets them here as frozen dataclasses:

    Figure(cell, suptitle, axes=(Axes(title, xlabel, ylabel, xscale, yscale, xlim, ylim,
           legend, lines=(Series(label, x, y),), scatters=(Scatter(label, offsets),),
           bars=(Bars(label, heights, positions),), images=(Image(shape, array),),
           contours=(Contour(filled, levels),)),))

`cell` is the notebook position (0-based, as `nb.outputs(cell)`) of the cell that made the
figure; arrays are float64; an artist whose data passed the kernel's caps is `truncated` (its
data cut, or None for an image). Everything is checked on the way in: a value of the wrong type
or shape makes the whole answer unreadable (ValueError), texts are made safe.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from grader.sandbox.figures import ARTISTS, AXES, FIGURES, TEXT, cell_of_count
from grader.text import safe_text

T = TypeVar("T")


@dataclass(frozen=True)
class Series:
    """A line: its points, as plotted (x and y of the same length unless truncated)."""

    label: str | None
    x: np.ndarray
    y: np.ndarray
    truncated: bool


@dataclass(frozen=True)
class Scatter:
    label: str | None
    offsets: np.ndarray  # N x 2
    truncated: bool


@dataclass(frozen=True)
class Bars:
    label: str | None
    heights: np.ndarray
    positions: np.ndarray
    truncated: bool


@dataclass(frozen=True)
class Image:
    """An image or a pcolormesh (a heatmap): its shape, and its values when under the caps."""

    shape: tuple[int, ...]
    array: np.ndarray | None
    truncated: bool


@dataclass(frozen=True)
class Contour:
    filled: bool
    levels: int


@dataclass(frozen=True)
class Axes:
    title: str
    xlabel: str
    ylabel: str
    xscale: str
    yscale: str
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    legend: tuple[str, ...]
    lines: tuple[Series, ...]
    scatters: tuple[Scatter, ...]
    bars: tuple[Bars, ...]
    images: tuple[Image, ...]
    contours: tuple[Contour, ...]

    @property
    def labelled(self) -> bool:
        return bool(self.xlabel.strip() and self.ylabel.strip())


@dataclass(frozen=True)
class Figure:
    cell: int | None  # the notebook position of the cell that made it
    suptitle: str
    axes: tuple[Axes, ...]
    more_axes: int  # axes past the kernel's cap, not recorded


def read_figures(answer: Any, cells: Sequence[Any]) -> list[Figure]:
    """The figures in the kernel's answer; `cells`, the executed notebook's cells, place them.
    None (a kernel without the recorder) is no figure; anything malformed raises ValueError."""
    if answer is None:
        return []
    found = _items(_field(answer, "figures", list), FIGURES)
    return [_figure(item, cells) for item in found]


def _figure(data: Any, cells: Sequence[Any]) -> Figure:
    return Figure(
        cell=cell_of_count(list(cells), _field(data, "cell", int)),
        suptitle=_text(data, "suptitle"),
        axes=tuple(_axes(item) for item in _items(_field(data, "axes", list), AXES)),
        more_axes=max(0, _field(data, "more_axes", int)),
    )


def _axes(data: Any) -> Axes:
    return Axes(
        title=_text(data, "title"),
        xlabel=_text(data, "xlabel"),
        ylabel=_text(data, "ylabel"),
        xscale=_text(data, "xscale"),
        yscale=_text(data, "yscale"),
        xlim=_pair(data, "xlim"),
        ylim=_pair(data, "ylim"),
        legend=tuple(safe_text(_string(t), TEXT) for t in _items(data.get("legend"), ARTISTS)),
        lines=_artists(data, "lines", _series),
        scatters=_artists(data, "scatters", _scatter),
        bars=_artists(data, "bars", _bars),
        images=_artists(data, "images", _image),
        contours=_artists(data, "contours", _contour),
    )


def _series(data: Any) -> Series:
    x, y = _vector(data, "x"), _vector(data, "y")
    return Series(_label(data), x, y, _field(data, "truncated", bool))


def _scatter(data: Any) -> Scatter:
    offsets = _array(data, "offsets")
    if offsets.size == 0:
        offsets = offsets.reshape(0, 2)
    if offsets.ndim != 2 or offsets.shape[1] != 2:
        raise ValueError(f"scatter offsets of shape {offsets.shape}")
    return Scatter(_label(data), offsets, _field(data, "truncated", bool))


def _bars(data: Any) -> Bars:
    heights, positions = _vector(data, "heights"), _vector(data, "positions")
    if heights.shape != positions.shape:
        raise ValueError("bar heights and positions differ in length")
    return Bars(_label(data), heights, positions, _field(data, "truncated", bool))


def _image(data: Any) -> Image:
    shape = tuple(_field(data, "shape", list))
    if len(shape) > 3 or not all(isinstance(n, int) and n >= 0 for n in shape):
        raise ValueError(f"image shape {shape!r:.100}")
    array = None if data.get("array") is None else _array(data, "array")
    if array is not None and array.shape != shape:
        raise ValueError("image data does not have the image's shape")
    return Image(shape, array, _field(data, "truncated", bool))


def _contour(data: Any) -> Contour:
    return Contour(_field(data, "filled", bool), max(0, _field(data, "levels", int)))


def _artists(data: Any, key: str, read: Callable[[Any], T]) -> tuple[T, ...]:
    return tuple(read(item) for item in _items(_field(data, key, list), ARTISTS))


def _items(value: Any, limit: int) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"a list was expected, got {type(value).__name__}")
    return value[:limit]


def _field(data: Any, key: str, kind: type[T]) -> T:
    if not isinstance(data, dict):
        raise ValueError(f"a record was expected, got {type(data).__name__}")
    value = data.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{key}: {kind.__name__} expected, got {type(value).__name__}")
    return value


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"a text was expected, got {type(value).__name__}")
    return value


def _text(data: Any, key: str) -> str:
    return safe_text(_field(data, key, str), TEXT)


def _label(data: Any) -> str | None:
    value = data.get("label")
    return None if value is None else safe_text(_string(value), TEXT)


def _pair(data: Any, key: str) -> tuple[float, float]:
    value = _field(data, key, list)
    if len(value) != 2 or not all(isinstance(v, int | float) for v in value):
        raise ValueError(f"{key}: two numbers expected")
    return float(value[0]), float(value[1])


def _array(data: Any, key: str) -> np.ndarray:
    value = data.get(key)
    if value is None:
        return np.zeros(0)
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
        raise ValueError(f"{key}: an array of real numbers expected")
    return np.asarray(value, dtype=np.float64)


def _vector(data: Any, key: str) -> np.ndarray:
    array = _array(data, key)
    if array.ndim != 1:
        raise ValueError(f"{key}: a vector expected, got shape {array.shape}")
    return array
