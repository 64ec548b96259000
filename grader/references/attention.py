"""Scaled dot-product attention, the reference the attention assignments are checked against."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]


def softmax(x: ArrayLike, axis: int = -1) -> Array:
    """Numerically stable softmax: shifting by the maximum keeps exp() from overflowing."""
    values = np.asarray(x, dtype=np.float64)
    shifted = values - np.max(values, axis=axis, keepdims=True)
    exp = np.exp(shifted)
    return np.asarray(exp / np.sum(exp, axis=axis, keepdims=True))


def causal_mask(size: int) -> NDArray[np.bool_]:
    """T×T boolean mask, True where position i may attend to position j (j <= i)."""
    return np.tril(np.ones((size, size), dtype=bool))


def scaled_dot_product_attention(
    q: ArrayLike, k: ArrayLike, v: ArrayLike, mask: ArrayLike | None = None
) -> tuple[Array, Array]:
    """softmax(Q Kᵀ / √d_k) V over the last two axes; `mask` is True where attention is allowed.

    Works for any leading batch axes (3-D, 4-D with heads). Returns (output, weights).
    """
    q64, k64, v64 = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    scores = q64 @ np.swapaxes(k64, -1, -2) / np.sqrt(q64.shape[-1])
    if mask is not None:
        scores = np.where(np.asarray(mask, dtype=bool), scores, -np.inf)
    weights = softmax(scores, axis=-1)
    return weights @ v64, weights
