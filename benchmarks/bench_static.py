"""Time of the static check `no_library_call` on real and hostile notebooks, in the grader.

    PYTHONPATH=. python benchmarks/bench_static.py

Prints, per notebook, its source size and the time of one analysis (parse, index, walk; the
median of 3, the parse cache cleared each time): the course's examples, a chain of helpers
down to F.scaled_dot_product_attention, and large reachable blobs of code, below and above the
analysis's bound (static.MAX_NODES), above which the check counts a use at once.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import nbformat

from grader.checks import static
from grader.checks.static import forbidden_uses, notebook_source

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ["torch.nn.functional.scaled_dot_product_attention", "torch.nn.MultiheadAttention"]


def example_sources() -> dict[str, str]:
    sources = {}
    for path in sorted((ROOT / "examples" / "submissions" / "tp-attention").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
        sources[path.stem] = notebook_source(code)
    return sources


def helper_chain(length: int) -> str:
    """f calls h0, which calls h1, ... which calls F.scaled_dot_product_attention."""
    helpers = [f"def h{i}(q):\n    return h{i + 1}(q) + {i}\n" for i in range(length)]
    last = f"def h{length}(q):\n    return F.scaled_dot_product_attention(q, q, q)\n"
    start = "import torch.nn.functional as F\ndef f(q):\n    return h0(q)\n"
    return start + "".join(helpers) + last


def large_blob(statements: int) -> str:
    """f reaches a helper of `statements` lines of arithmetic on many names: nothing forbidden."""
    body = "".join(f"    v{i} = q * {i} + np.exp(v{max(i - 1, 0)})\n" for i in range(statements))
    return f"import numpy as np\ndef f(q):\n    return blob(q)\ndef blob(q):\n    v0 = q\n{body}"


def seconds(source: str) -> float:
    times = []
    for _ in range(3):
        static._notebook.cache_clear()
        started = time.perf_counter()
        forbidden_uses(source, "f", FORBIDDEN)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    cases = {f"example {name}": source for name, source in example_sources().items()}
    cases["example alice, as scaled_dot_product_attention"] = cases["example alice"].replace(
        "def scaled_dot_product_attention", "def f"
    )
    cases["chain of 500 helpers"] = helper_chain(500)
    cases["blob of 2,500 lines (42,500 nodes)"] = large_blob(2_500)
    cases["blob of 20,000 lines (over MAX_NODES: a use)"] = large_blob(20_000)
    for name, source in cases.items():
        print(f"{name:48} {len(source) / 1024:8.1f} KiB {seconds(source) * 1000:9.1f} ms")


if __name__ == "__main__":
    main()
