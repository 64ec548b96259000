"""The probe channel against a real kernel: data in, data out, French errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from grader.checks.probe import (
    MissingName,
    Notebook,
    ProbedArray,
    ProbeError,
    StudentCodeRaised,
    Unsupported,
    decode_value,
)
from grader.sandbox.limits import Limits
from tests.conftest import module_notebook

pytestmark = pytest.mark.kernel

CELLS = [
    "import numpy as np\nimport torch",
    "def double(x):\n    return 2 * x",
    "def pair(x):\n    return x, x.sum()",
    "def explode(x):\n    raise ValueError('raté')",
    "def forever():\n    while True:\n        pass",
    "def big():\n    return np.zeros(2_000_000)",
    "A = np.eye(2)\nnames = {'a': [1, 2.5, 'b', None, True]}\nf = lambda: 1",
    "def same(x):\n    return x",
    "def todo(x):\n    raise NotImplementedError",
]


# torch loads slowly under load: a minute for the cells
nb = module_notebook(CELLS, Limits(cell_timeout_s=60, message_bytes=1_000_000), 2)


def test_arrays_go_in_and_come_back_as_data(nb: Notebook) -> None:
    x = np.arange(6.0).reshape(2, 3)
    got = nb.call("double", x)
    assert isinstance(got, np.ndarray) and not got.from_torch
    np.testing.assert_array_equal(got, 2 * x)


def test_torch_tensors_stay_tensors_in_the_kernel(nb: Notebook) -> None:
    got = nb.call("double", torch.ones(2, 2, dtype=torch.float64))
    assert isinstance(got, ProbedArray) and got.from_torch
    np.testing.assert_array_equal(got, np.full((2, 2), 2.0))


def test_tuples_scalars_and_structures(nb: Notebook) -> None:
    output, total = nb.call("pair", np.ones(3))
    assert float(total) == 3.0 and output.shape == (3,)
    assert nb.get("names") == {"a": [1, 2.5, "b", None, True]}
    assert nb.run("same(np.arange(3)).tolist() + [extra]", extra=7) == [0, 1, 2, 7]
    assert nb.get("f") == Unsupported("function")


def test_missing_function_is_a_french_error(nb: Notebook) -> None:
    with pytest.raises(MissingName) as info:
        nb.call("scaled_dot_product_attention", np.ones(2))
    assert info.value.message == (
        "la fonction `scaled_dot_product_attention` n'est pas définie dans le notebook"
    )


def test_an_exception_in_the_students_code_is_reported(nb: Notebook) -> None:
    with pytest.raises(StudentCodeRaised) as info:
        nb.call("explode", 1)
    assert info.value.message == "la fonction `explode` a levé ValueError : raté"
    assert "raté" in (info.value.detail or "")


def test_a_function_not_written_yet_says_so_in_a_sentence(nb: Notebook) -> None:
    with pytest.raises(StudentCodeRaised) as info:
        nb.call("todo", 1)
    assert info.value.message == "la fonction `todo` n'est pas encore implémentée"
    assert info.value.said is not None
    assert info.value.said.text("en") == "the function `todo` is not implemented yet"


def test_student_code_reached_through_run_is_the_students(nb: Notebook) -> None:
    with pytest.raises(StudentCodeRaised) as info:
        nb.run("explode(1)")
    assert info.value.message == "votre code a levé ValueError : raté"
    with pytest.raises(StudentCodeRaised) as info:
        nb.run("todo(1)")
    assert info.value.message == "votre code a levé NotImplementedError"  # no dangling colon


def test_a_function_that_hangs_is_interrupted_and_the_kernel_still_answers(nb: Notebook) -> None:
    with pytest.raises(ProbeError, match="n'a pas répondu en 2 s"):
        nb.call("forever")
    assert nb.call("double", 21) == 42


def test_probes_leave_no_name_in_the_students_namespace(nb: Notebook) -> None:
    nb.call("double", 1)
    assert nb.run("sorted(k for k in globals() if 'grader' in k or k == 'REQUEST')") == []


def test_an_oversized_answer_stops_the_kernel(nb: Notebook) -> None:
    # Last of the tests on this kernel: the box kills a kernel that sends too much.
    with pytest.raises(ProbeError, match="valeur trop volumineuse"):
        nb.call("big")


@pytest.mark.parametrize(
    "payload",
    [
        {"__ndarray__": "not base64!"},
        {"__tuple__": "not a list"},
        12j,
    ],
)
def test_malformed_answers_are_rejected(payload: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        decode_value(payload)


def test_pickled_arrays_are_never_loaded() -> None:
    import base64
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.array([object()], dtype=object), allow_pickle=True)
    payload = {"__ndarray__": base64.b64encode(buffer.getvalue()).decode()}
    with pytest.raises(ValueError):
        decode_value(payload)
