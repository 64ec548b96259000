"""What recording figures as data costs: a cell's plotting with the recorder, nb.figures().

    PYTHONPATH=. python benchmarks/bench_figures.py [--repeat 5]

One real kernel (unsandboxed) runs a typical figure (six curves of 150 epochs, as tp-mlp's
learning curves) and the recorder's worst case (40 figures of 25 000-point lines: every cap
reached, 1 million values kept), each closed in its cell as `plt.show()` does. Prints each
cell's time and, best of --repeat, the time of nb.figures() and what it returned.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from grader.checks.probe import Notebook
from grader.sandbox.limits import Limits
from tests.conftest import probed_notebook

CELLS = {
    "import": "import matplotlib.pyplot as plt\nimport numpy as np",
    "typical figure (6 curves x 150 points)": (
        "fig, ax = plt.subplots()\n"
        "for k in range(6):\n"
        "    ax.plot(np.arange(150), np.exp(-np.arange(150) / (k + 10)), label=str(k))\n"
        "ax.legend()\nplt.close(fig)"
    ),
    "worst case (40 figures x 25 000 points)": (
        "for _ in range(40):\n"
        "    fig, ax = plt.subplots()\n"
        "    ax.plot(np.arange(25_000.0))\n"
        "    plt.close(fig)"
    ),
}


def report(nb: Notebook, name: str, repeat: int) -> None:
    """The plotting cell's time, then nb.figures()'s, best of `repeat`."""
    print(f"{name}: cell {nb.execution.cells[1].duration_s * 1000:.0f} ms")
    times, figures = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        figures = nb.figures()
        times.append(time.perf_counter() - started)
    values = sum(s.x.size + s.y.size for f in figures for a in f.axes for s in a.lines)
    print(f"  nb.figures(): {min(times) * 1000:.1f} ms, {len(figures)} figure(s), {values} values")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    limits = Limits(cell_timeout_s=300, notebook_timeout_s=900)
    with tempfile.TemporaryDirectory() as scratch:
        for name, cell in list(CELLS.items())[1:]:
            with probed_notebook(Path(scratch), [CELLS["import"], cell], limits, 120) as nb:
                report(nb, name, args.repeat)


if __name__ == "__main__":
    main()
