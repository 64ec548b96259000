"""Decoding references against transformers' own logits processors and generate()."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper

from grader.mirror.standins import tiny_gpt2
from grader.references.decoding import (
    apply_temperature,
    greedy_decode,
    sampling_distribution,
    top_k_filter,
    top_p_filter,
)
from grader.references.tokenization import gpt2_tokenizer

pytestmark = pytest.mark.torch


def _logits(seed: int, shape: tuple[int, ...] = (4, 50)) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape) * 3


def _warp(warper: object, logits: np.ndarray) -> np.ndarray:
    ids = torch.zeros((logits.shape[0], 1), dtype=torch.long)
    return warper(ids, torch.from_numpy(logits)).numpy()  # type: ignore[operator,no-any-return]


@pytest.mark.parametrize("temperature", [0.1, 0.7, 1.0, 1.5])
def test_temperature_matches_transformers(temperature: float) -> None:
    logits = _logits(1)
    expected = _warp(TemperatureLogitsWarper(temperature), logits)
    assert np.array_equal(apply_temperature(logits, temperature), expected)


@pytest.mark.parametrize("k", [1, 5, 10, 50, 100])
def test_top_k_matches_transformers(k: int) -> None:
    logits = _logits(k)
    assert np.array_equal(top_k_filter(logits, k), _warp(TopKLogitsWarper(k), logits))


def test_top_k_keeps_every_token_tied_with_the_kth() -> None:
    logits = np.array([3.0, 1.0, 2.0, 2.0, 0.0])
    filtered = top_k_filter(logits, 2)
    assert np.array_equal(filtered, [3.0, -np.inf, 2.0, 2.0, -np.inf])
    assert np.array_equal(filtered, _warp(TopKLogitsWarper(2), logits[None])[0])


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9, 0.95, 1.0])
@pytest.mark.parametrize("seed", range(3))
def test_top_p_matches_transformers(p: float, seed: int) -> None:
    logits = _logits(seed)
    assert np.array_equal(top_p_filter(logits, p), _warp(TopPLogitsWarper(p), logits))


def test_top_p_keeps_the_token_that_crosses_the_threshold() -> None:
    logits = np.log([0.5, 0.3, 0.15, 0.05])
    # 0.5 < 0.7, then 0.5 + 0.3 crosses 0.7: the second token is kept, the rest removed
    kept = np.isfinite(top_p_filter(logits, 0.7))
    assert kept.tolist() == [True, True, False, False]
    # p below the top probability still keeps one token
    assert np.isfinite(top_p_filter(logits, 0.01)).tolist() == [True, False, False, False]


def test_top_p_stops_at_a_prefix_that_reaches_p_exactly() -> None:
    # four equal logits: probabilities of exactly 1/4, so two tokens reach p = 0.5 exactly
    logits = np.zeros((1, 4))
    assert np.isfinite(top_p_filter(logits, 0.5)).sum() == 2
    assert np.isfinite(_warp(TopPLogitsWarper(0.5), logits)).sum() == 2


def test_filters_act_on_the_last_axis_of_3d_logits() -> None:
    logits = _logits(7, (2, 3, 20))
    flat = logits.reshape(6, 20)
    assert np.array_equal(top_k_filter(logits, 4).reshape(6, 20), top_k_filter(flat, 4))
    assert np.array_equal(top_p_filter(logits, 0.8).reshape(6, 20), top_p_filter(flat, 0.8))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: apply_temperature([1.0], 0), "temperature must be > 0"),
        (lambda: top_k_filter([1.0], 0), "k must be >= 1"),
        (lambda: top_p_filter([1.0], 1.5), r"p must be in \[0, 1\]"),
    ],
)
def test_bad_parameters_are_refused(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_greedy_decode_matches_generate() -> None:
    model, tokenizer = tiny_gpt2(), gpt2_tokenizer()
    decoded = greedy_decode(model, tokenizer, "Il était une fois", max_new_tokens=8)
    prompt = torch.tensor([list(decoded.prompt_ids)])
    expected = model.generate(
        prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=8, do_sample=False
    )[0].tolist()
    assert list(decoded.prompt_ids + decoded.new_ids) == expected
    assert decoded.text == tokenizer.decode(expected)
    assert decoded.text.startswith("Il était une fois")


@pytest.mark.parametrize(
    ("temperature", "top_k", "top_p"),
    [(0.7, None, None), (1.0, 10, None), (1.0, None, 0.9), (1.3, 20, 0.95), (0.5, 5, 0.5)],
)
def test_sampling_distribution_matches_transformers_processors(
    temperature: float, top_k: int | None, top_p: float | None
) -> None:
    logits = _logits(11, (3, 60))
    warpers: list[object] = [TemperatureLogitsWarper(temperature)]
    if top_k is not None:
        warpers.append(TopKLogitsWarper(top_k))
    if top_p is not None:
        warpers.append(TopPLogitsWarper(top_p))
    expected = torch.from_numpy(logits)
    for warper in warpers:
        expected = warper(torch.zeros((3, 1), dtype=torch.long), expected)  # type: ignore[operator]
    probabilities = sampling_distribution(logits, temperature, top_k, top_p)
    assert np.allclose(probabilities, torch.softmax(expected, dim=-1).numpy(), atol=1e-12)
    assert np.allclose(probabilities.sum(axis=-1), 1.0)
