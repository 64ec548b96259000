"""Carry-forward's declarations, read when checks.py is loaded: a stand-in must be a def whose
source can travel to the kernel, and a mistake names checks.py and the check's line."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.assignment.load import load_assignment
from grader.errors import ConfigError
from tests.conftest import write_course
from tests.test_batch_resume import notebook

CHECKS = """
from grader.checks import check, expect
from grader.references.attention import attention_stand_in

{stand_in}

@check("mha.exemple", uses={{"scaled_dot_product_attention": {name}}})
def mha(nb, rng):
    expect.close(nb.run("layer(x)", x=1.0), 2.0, what="couche")
"""


def course(root: Path, stand_in: str, name: str) -> Path:
    criteria = '  - {id: mha, title: "MHA", points: 2, checks: ["mha.*"]}\n'
    checks = CHECKS.format(stand_in=stand_in, name=name)
    return write_course(
        root, "tp-mha", 'title: "TP MHA"\n', checks, notebook("## MHA", "x = 1"), criteria
    )


def test_a_stand_in_travels_as_its_source(tmp_path: Path) -> None:
    (check,) = load_assignment(course(tmp_path, "", "attention_stand_in")).checks
    (stand_in,) = check.uses
    assert (stand_in.name, stand_in.function) == (
        "scaled_dot_product_attention",
        "attention_stand_in",
    )
    assert stand_in.source.startswith("from __future__ import annotations\ndef attention_stand_in(")
    assert "import numpy" in stand_in.source  # self-contained: its imports inside it


@pytest.mark.parametrize(
    ("stand_in", "name", "message"),
    [
        ("reference = lambda q, k, v: (q, q)", "reference", "the stand-in must be a def"),
        ("from numpy import dot", "dot", "the stand-in must be a def"),
    ],
)
def test_a_stand_in_that_cannot_travel_is_refused(
    tmp_path: Path, stand_in: str, name: str, message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        load_assignment(course(tmp_path, stand_in, name))
    assert "checks.py:7:" in str(error.value)  # the line of its @check
    assert f"uses: 'scaled_dot_product_attention': {message}" in str(error.value)
