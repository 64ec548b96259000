"""Figures as data: the kernel keeps what each cell plotted, for the checks to read (issue 19).

Installed at every kernel's start (grader.sandbox.execute), before any student code: a program
that runs in a namespace of its own and records, for every matplotlib figure a cell made, its
axes and their artists' data — lines' x/y, scatter offsets, bar heights, images' arrays, the
presence of contours — with titles, labels, scales, limits and legend entries. A figure is
recorded when it is closed (`plt.show()` and the inline backend close them at once) and, for a
figure still open, when its cell ends (an IPython post_run_cell hook). matplotlib is never
imported for this: the closing is watched from the moment the notebook imports it.

Everything is bounded, for a notebook that makes 10 000 figures or a line of 10^8 points:
FIGURES figures (later ones are not recorded), AXES axes per figure, ARTISTS artists of each
kind per axes, POINTS values per artist (a line of POINTS / 2 points) and VALUES values in
all (past them the data is cut or left out, and the artist marked `truncated`). What the
probe gets back (grader.checks.probe, op "figures") goes through the answer's caps as any value
does; grader.checks.figures reads it as untrusted data.

The figures are numbered by the execution count of the cell that made them, which the executed
notebook keeps for each cell (cell_of_count below).
"""

from __future__ import annotations

from typing import Any

FIGURES = 40
AXES = 16
ARTISTS = 32
POINTS = 20_000
VALUES = 1_000_000
TEXT = 300  # characters of a title, a label or a legend entry

# Runs in the kernel once per kernel, in a namespace holding only `get_ipython` and LIMITS.
# Whatever the student does to it afterwards only changes the data the checks judge.
_KERNEL_SIDE = r"""
import sys, weakref
import numpy as np

ip = get_ipython()
entries = []          # one dict per figure, in the order the figures were first seen
index = weakref.WeakKeyDictionary()   # figure -> its position in entries
state = {"cell": None}

def text(value):
    return str(value)[:LIMITS["text"]]

def used():
    return sum(entry["values"] for entry in entries)

def numbers(data, budget, axis=None):
    # At most `budget` values of a sequence, as float64; (array or None, truncated).
    try:
        length = len(data)
    except TypeError:
        return None, True
    part = data[:budget] if budget > 0 else data[:0]
    try:
        array = np.array(part, dtype=float)
    except (TypeError, ValueError):
        try:
            array = np.array(axis.convert_units(part), dtype=float)
        except Exception:
            return None, True
    return array, length > budget

def xy_series(x, y, axes, budget):
    xs, cut_x = numbers(x, budget, axes.xaxis)
    ys, cut_y = numbers(y, budget, axes.yaxis)
    return {"x": xs, "y": ys, "truncated": cut_x or cut_y}

class Budget:
    def __init__(self, left):
        self.left = left
    def take(self, wanted):
        granted = max(0, min(wanted, LIMITS["points"], self.left))
        self.left -= granted
        return granted

def label(artist):
    name = artist.get_label()
    return None if name is None or str(name).startswith("_") else text(name)

def of_kind(artists, kind):
    # The first ARTISTS of `artists` that are a `kind`.
    found = []
    for artist in artists:
        if len(found) == LIMITS["artists"]:
            break
        if isinstance(artist, kind):
            found.append(artist)
    return found

def lines(axes, budget):
    found = []
    for line in axes.get_lines()[:LIMITS["artists"]]:
        x, y = line.get_xdata(orig=True), line.get_ydata(orig=True)
        size = budget.take(2 * max(len(x), len(y))) // 2 if hasattr(x, "__len__") else 0
        found.append(dict(xy_series(x, y, axes, size), label=label(line)))
    return found

def scatters(axes, budget):
    from matplotlib.collections import PathCollection
    found = []
    for collection in of_kind(axes.collections, PathCollection):
        offsets = np.asarray(collection.get_offsets())
        count = len(offsets) if offsets.ndim == 2 else 0
        size = budget.take(count * 2) // 2 if count else 0
        part = np.array(offsets[:size], dtype=float) if count else None
        found.append({"offsets": part, "truncated": count > size, "label": label(collection)})
    return found

def bars(axes, budget):
    from matplotlib.container import BarContainer
    found = []
    for container in of_kind(axes.containers, BarContainer):
        patches = container.patches[:budget.take(len(container.patches) * 2) // 2]
        found.append({
            "heights": np.array([p.get_height() for p in patches], dtype=float),
            "positions": np.array([p.get_x() + p.get_width() / 2 for p in patches], dtype=float),
            "truncated": len(patches) < len(container.patches),
            "label": label(container),
        })
    return found

def images(axes, budget):
    from matplotlib.collections import QuadMesh
    found = []
    meshes = of_kind(axes.collections, QuadMesh)
    for artist in (list(axes.get_images()) + meshes)[:LIMITS["artists"]]:
        data = artist.get_array()
        shape = [] if data is None else [int(n) for n in np.shape(data)]
        if isinstance(artist, QuadMesh) and len(shape) == 1:
            rows, columns = artist.get_coordinates().shape[:2]
            shape = [rows - 1, columns - 1]
        size = int(np.prod(shape)) if shape else 0
        keep = data is not None and 0 < size <= budget.left and size <= LIMITS["points"]
        array = None
        if keep:
            budget.left -= size
            array = np.ma.filled(np.ma.asarray(data, dtype=float), np.nan).reshape(shape)
        found.append({"shape": shape, "array": array, "truncated": not keep})
    return found

def contours(axes):
    from matplotlib.contour import ContourSet
    found = [c for c in axes.collections if isinstance(c, ContourSet)]
    return [{"filled": bool(c.filled), "levels": int(len(c.levels))}
            for c in found[:LIMITS["artists"]]]

def legend(holder):
    box = holder.get_legend() if hasattr(holder, "get_legend") else None
    return [] if box is None else [text(t.get_text()) for t in box.get_texts()[:LIMITS["artists"]]]

def one_axes(axes, budget):
    title = " ".join(t for t in (axes.get_title(loc) for loc in ("left", "center", "right")) if t)
    return {
        "title": text(title), "xlabel": text(axes.get_xlabel()), "ylabel": text(axes.get_ylabel()),
        "xscale": text(axes.get_xscale()), "yscale": text(axes.get_yscale()),
        "xlim": [float(v) for v in axes.get_xlim()], "ylim": [float(v) for v in axes.get_ylim()],
        "legend": legend(axes), "lines": lines(axes, budget), "scatters": scatters(axes, budget),
        "bars": bars(axes, budget), "images": images(axes, budget), "contours": contours(axes),
    }

def record(figure):
    # Capture `figure` as the current cell made it; never raises into the student's code.
    if state["cell"] is None:
        return
    try:
        position = index.get(figure)
        if position is None and len(entries) >= LIMITS["figures"]:
            return
        previous = entries[position]["values"] if position is not None else 0
        budget = Budget(LIMITS["values"] - used() + previous)
        start = budget.left
        suptitle = getattr(figure, "_suptitle", None)
        entry = {
            "cell": state["cell"],
            "suptitle": text(suptitle.get_text()) if suptitle is not None else "",
            "axes": [one_axes(a, budget) for a in figure.get_axes()[:LIMITS["axes"]]],
            "more_axes": max(0, len(figure.get_axes()) - LIMITS["axes"]),
        }
        entry["values"] = start - budget.left
        if position is None:
            index[figure] = len(entries)
            entries.append(entry)
        else:
            entry["cell"] = entries[position]["cell"]
            entries[position] = entry
    except Exception:
        pass

def record_open():
    helpers = sys.modules.get("matplotlib._pylab_helpers")
    if helpers is None:
        return
    for manager in list(helpers.Gcf.figs.values())[:LIMITS["figures"]]:
        record(manager.canvas.figure)

def watch(helpers):
    # Record every figure just before matplotlib forgets it (plt.close, plt.show inline).
    gcf = helpers.Gcf
    destroy, destroy_all = gcf.destroy.__func__, gcf.destroy_all.__func__
    def recorded_destroy(cls, num):
        manager = num if hasattr(num, "canvas") else cls.figs.get(num)
        if manager is not None:
            record(manager.canvas.figure)
        return destroy(cls, num)
    def recorded_destroy_all(cls):
        record_open()
        return destroy_all(cls)
    gcf.destroy = classmethod(recorded_destroy)
    gcf.destroy_all = classmethod(recorded_destroy_all)

class Watcher:
    # Patches matplotlib's figure registry right after the notebook imports it.
    def find_spec(self, name, path, target=None):
        if name != "matplotlib._pylab_helpers":
            return None
        sys.meta_path.remove(self)
        import importlib.util
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            run = spec.loader.exec_module
            def exec_module(module):
                run(module)
                watch(module)
            spec.loader.exec_module = exec_module
        return spec

def before(info):
    state["cell"] = ip.execution_count

def after(result):
    record_open()
    state["cell"] = None

def figures():
    return {"figures": [{k: v for k, v in e.items() if k != "values"} for e in entries]}

if "matplotlib._pylab_helpers" in sys.modules:
    watch(sys.modules["matplotlib._pylab_helpers"])
else:
    sys.meta_path.insert(0, Watcher())
ip.events.register("pre_run_cell", before)
ip.events.register("post_run_cell", after)
ip.grader_figures = figures
"""
_LIMITS = {
    "figures": FIGURES,
    "axes": AXES,
    "artists": ARTISTS,
    "points": POINTS,
    "values": VALUES,
    "text": TEXT,
}

# The user expression of an empty, silent execute request (no cell hook fires for it).
INSTALL = (
    "(lambda program, limits: exec(program, {'get_ipython': get_ipython, 'LIMITS': limits}))"
    f"({_KERNEL_SIDE!r}, {_LIMITS!r})"
)


def cell_of_count(cells: list[Any], count: Any) -> int | None:
    """The notebook position of the code cell that ran with execution count `count`: the last
    one that holds it (a cell that lost its kernel keeps the count of the lost kernel, which a
    later cell of the next kernel reuses)."""
    if not isinstance(count, int) or isinstance(count, bool):
        return None
    found = None
    for position, cell in enumerate(cells):
        if cell.get("cell_type") == "code" and cell.get("execution_count") == count:
            found = position
    return found
