"""Decoding references: temperature, top-k, top-p and greedy decoding.

The filters follow transformers' logits processors exactly (TemperatureLogitsWarper,
TopKLogitsWarper, TopPLogitsWarper): they act on the last axis and set removed tokens to -inf.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from grader.references.attention import Array, as_float64, softmax


def apply_temperature(logits: ArrayLike, temperature: float) -> Array:
    """logits / T: T < 1 sharpens the distribution, T > 1 flattens it."""
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    return as_float64(logits) / temperature


def top_k_filter(logits: ArrayLike, k: int) -> Array:
    """Keep the k largest logits and every logit tied with the k-th one; the rest become -inf."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    values = as_float64(logits)
    k = min(k, values.shape[-1])
    kth_largest = np.sort(values, axis=-1)[..., -k, None]
    return np.where(values < kth_largest, -np.inf, values)


def top_p_filter(logits: ArrayLike, p: float, min_tokens_to_keep: int = 1) -> Array:
    """Nucleus filtering: keep the most probable tokens until their probability reaches p.

    As transformers computes it: sort ascending, drop the tokens whose cumulative probability
    (from the least likely) is <= 1 - p. The token that crosses the threshold is therefore kept,
    and so is at least `min_tokens_to_keep` of the most likely. Among exactly equal logits at
    the boundary the later positions are kept (transformers' own sort promises no order there,
    so checks should draw logits without ties).
    """
    if not 0 <= p <= 1:
        raise ValueError(f"p must be in [0, 1], got {p}")
    values = as_float64(logits)
    ascending = np.argsort(values, axis=-1, kind="stable")
    cumulative = np.cumsum(softmax(np.take_along_axis(values, ascending, axis=-1)), axis=-1)
    remove_sorted = cumulative <= 1 - p
    remove_sorted[..., -min_tokens_to_keep:] = False
    remove = np.empty_like(remove_sorted)
    np.put_along_axis(remove, ascending, remove_sorted, axis=-1)
    return np.where(remove, -np.inf, values)


def next_token_logits(model: Any, input_ids: list[int]) -> Array:
    """The model's logits for the token after `input_ids`, as float64."""
    import torch

    with torch.no_grad():
        output = model(torch.tensor([input_ids]))
    return as_float64(output.logits[0, -1])


@dataclass(frozen=True)
class Decoded:
    """A generation: the prompt's token ids, the generated ones, and the whole decoded text."""

    prompt_ids: tuple[int, ...]
    new_ids: tuple[int, ...]
    text: str


def greedy_decode(model: Any, tokenizer: Any, prompt: str, max_new_tokens: int) -> Decoded:
    """Append the most likely next token `max_new_tokens` times, stopping after end-of-text.

    Ties go to the smallest token id (argmax), as in transformers' greedy search.
    """
    model.eval()
    prompt_ids = [int(i) for i in tokenizer(prompt)["input_ids"]]
    eos = model.generation_config.eos_token_id
    stop_ids = set(eos if isinstance(eos, list) else [] if eos is None else [eos])
    ids = list(prompt_ids)
    for _ in range(max_new_tokens):
        token = int(np.argmax(next_token_logits(model, ids)))
        ids.append(token)
        if token in stop_ids:
            break
    return Decoded(
        prompt_ids=tuple(prompt_ids),
        new_ids=tuple(ids[len(prompt_ids) :]),
        text=tokenizer.decode(ids),
    )


def sampling_distribution(
    logits: ArrayLike,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> Array:
    """The probabilities `generate(do_sample=True)` samples from: the filters in transformers'
    order (temperature, then top-k, then top-p), then softmax. Removed tokens get 0."""
    filtered = apply_temperature(logits, temperature)
    if top_k is not None:
        filtered = top_k_filter(filtered, top_k)
    if top_p is not None:
        filtered = top_p_filter(filtered, top_p)
    return softmax(filtered)
