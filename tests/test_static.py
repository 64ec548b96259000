"""Static checks see through import aliases, in the grader process."""

from __future__ import annotations

import pytest

from grader.checks.static import forbidden_uses, notebook_source

FORBIDDEN = ["torch.nn.functional.scaled_dot_product_attention", "torch.nn.MultiheadAttention"]


@pytest.mark.parametrize(
    ("source", "found"),
    [
        (
            "import torch.nn.functional as F\ndef f(q):\n    return F.scaled_dot_product_attention(q, q, q)",
            FORBIDDEN[:1],
        ),
        (
            "from torch.nn.functional import scaled_dot_product_attention as sdpa\n"
            "def f(q):\n    return sdpa(q, q, q)",
            FORBIDDEN[:1],
        ),
        (
            "import torch\ndef f(q):\n    return torch.nn.functional.scaled_dot_product_attention(q)",
            FORBIDDEN[:1],
        ),
        (
            "from torch import nn\ndef f(q):\n    return nn.MultiheadAttention(4, 2)(q, q, q)",
            FORBIDDEN[1:],
        ),
        ("import torch.nn.functional as F\ndef f(q):\n    return F.softmax(q @ q.T, dim=-1)", []),
        # Used outside the function under scrutiny: allowed (e.g. to compare in a demo cell).
        (
            "import torch.nn.functional as F\ndef f(q):\n    return q\n"
            "F.scaled_dot_product_attention(1, 2, 3)",
            [],
        ),
    ],
)
def test_forbidden_uses(source: str, found: list[str]) -> None:
    assert forbidden_uses(source, "f", FORBIDDEN) == found


def test_notebook_source_turns_magics_into_python_and_skips_broken_cells() -> None:
    source = notebook_source(["%matplotlib inline\nx = 1", "def broken(:", "!ls", "y = 2"])
    assert "run_line_magic('matplotlib', 'inline')" in source
    assert "broken" not in source and "y = 2" in source
