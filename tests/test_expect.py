"""Expectations say what came back, what was expected and where, in French."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks import CheckFailed, expect
from grader.checks.expect import BadReturn
from grader.checks.probe import ProbedArray, Unsupported


def failure(function, *args, **kwargs) -> CheckFailed:
    with pytest.raises(CheckFailed) as info:
        function(*args, **kwargs)
    return info.value


def test_sums_to_names_the_row() -> None:
    weights = np.array([[0.5, 0.5, 0.0], [0.2, 0.8, 0.0], [0.31, 0.5, 0.5]])
    error = failure(expect.sums_to, weights, 1, what="poids d'attention")
    assert error.message == "poids d'attention, ligne 2 : somme 1,31, attendu 1"
    assert error.said is not None
    assert error.said.text("en") == "poids d'attention, row 2: sum 1.31, expected 1"


def test_close_points_at_the_worst_element_and_redacts_for_hidden_checks() -> None:
    expected = np.zeros((2, 3))
    got = expected.copy()
    got[1, 2] = 0.5
    got[0, 0] = 0.1
    error = failure(expect.close, got, expected, what="sortie")
    assert (
        error.message == "sortie, élément [1, 2] : 0,5, attendu 0 (2 valeurs sur 6 hors tolérance)"
    )
    assert error.said is not None and error.said.text("en") == (
        "sortie, element [1, 2]: 0.5, expected 0 (2 values out of 6 outside the tolerance)"
    )
    assert "attendu" not in error.redacted and "[1, 2]" in error.redacted
    assert error.redacted_said is not None  # what a hidden check stores: no expected value
    assert "expected" not in str(error.redacted_said.to_data())


def test_close_accepts_values_within_tolerance() -> None:
    expected = np.linspace(0, 1, 12).reshape(3, 4)
    expect.close(expected + 1e-9, expected, what="x", rtol=1e-6)


@pytest.mark.parametrize(
    ("got", "expected_message"),
    [
        (np.zeros((2, 2)), "sortie : forme (2, 2), attendu (2, 3)"),
        (np.array([[np.nan, 0, 0], [0, 0, 0]]), "sortie, élément [0, 0] : NaN, attendu 0"),
        (
            np.array([["a", "b", "c"], ["d", "e", "f"]]),
            "sortie : des nombres réels sont attendus, reçu le type <U1",
        ),
    ],
)
def test_close_wrong_shape_nan_and_dtype(got: np.ndarray, expected_message: str) -> None:
    assert failure(expect.close, got, np.zeros((2, 3)), what="sortie").message == expected_message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            Unsupported("function"),
            "sortie : un tableau numpy ou un tenseur est attendu, reçu un objet function",
        ),
        ([1, 2], "sortie : un tableau numpy ou un tenseur est attendu, reçu une liste"),
        (None, "sortie : un tableau numpy ou un tenseur est attendu, reçu None"),
    ],
)
def test_wrong_kind_of_value_cannot_be_judged(value: object, message: str) -> None:
    with pytest.raises(BadReturn) as info:
        expect.close(value, np.zeros(2), what="sortie")
    assert info.value.message == message


def test_parts_requires_the_pair() -> None:
    with pytest.raises(BadReturn, match="un tuple de 2 éléments est attendu, reçu un tableau"):
        expect.parts(np.zeros(3), 2, "scaled_dot_product_attention(Q, K, V)")


def test_equal_names_the_first_difference() -> None:
    error = failure(expect.equal, ["in", "ter", "na"], ["in", "te", "rna"], "jetons")
    assert error.message == "jetons, position 1 : 'ter', attendu 'te'"
    assert failure(expect.equal, [1, 2], [1, 2, 3], "ids").message == "ids : 2 éléments, attendu 3"
    mask = np.tril(np.ones((3, 3), dtype=bool))
    error = failure(expect.equal, ~mask, mask, "masque")
    assert error.message == "masque, élément [0, 0] : False, attendu True"


def test_dtype_and_torch_origin() -> None:
    error = failure(expect.dtype, np.zeros(3), "b", "causal_mask(3)")
    assert error.message == "causal_mask(3) : type float64, attendu un type booléen"
    expect.torch_tensor(ProbedArray.wrap(np.zeros(2), from_torch=True), "sortie")
    assert "tenseur torch" in failure(expect.torch_tensor, np.zeros(2), "sortie").message


def test_failures_carry_a_view_for_the_report() -> None:
    expected = np.eye(3)
    error = failure(expect.close, expected + 0.5, expected, what="poids")
    assert error.section is not None and error.section.kind == "array"
    assert error.section.data["got"][0][0] == 1.5 and error.section.data["expected"][0][0] == 1.0
    error = failure(expect.close, expected * 2, expected, what="poids", tokens=["a", "b", "c"])
    assert error.section is not None and error.section.kind == "attention"
    assert error.section.data["tokens"] == ["a", "b", "c"]
    error = failure(expect.equal, ["in", "ter"], ["in", "te", "r"], "jetons")
    assert error.section is not None and error.section.kind == "tokens"
    assert error.section.data == {"got": ["in", "ter"], "expected": ["in", "te", "r"]}


@pytest.mark.parametrize(
    ("got", "expected"),
    [
        ([1.0, 2.0], [1.0, -np.inf]),  # a token that should have been removed
        ([1.0, -np.inf], [1.0, 2.0]),  # a token removed that should stay
        ([1.0, np.inf], [1.0, -np.inf]),
    ],
)
def test_infinities_must_match(got: list[float], expected: list[float]) -> None:
    failure(expect.close, np.array(got), np.array(expected), what="logits")
    expect.close(np.array([1.0, -np.inf]), np.array([1.0, -np.inf]), what="logits")
