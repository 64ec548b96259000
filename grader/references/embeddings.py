"""Sentence embeddings and cosine similarity, as sentence-transformers computes them for MiniLM.

all-MiniLM-L6-v2 is Transformer -> mean pooling over the real tokens -> L2 normalisation
(its modules.json), with sentences truncated to 256 tokens (its sentence_bert_config.json).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from grader.references.attention import Array, as_float64

MINILM_MAX_TOKENS = 256


def cosine_similarity(u: ArrayLike, v: ArrayLike) -> float:
    """u·v / (‖u‖ ‖v‖) of two vectors; undefined (ValueError) when one of them is zero."""
    a, b = as_float64(u).ravel(), as_float64(v).ravel()
    if a.shape != b.shape:
        raise ValueError(f"vectors of different sizes: {a.size} and {b.size}")
    norms = float(np.linalg.norm(a) * np.linalg.norm(b))
    if norms == 0:
        raise ValueError("cosine similarity of a zero vector is undefined")
    return float(a @ b) / norms


def cosine_similarity_matrix(embeddings: ArrayLike) -> Array:
    """Pairwise cosine similarities of the rows of an (n, d) matrix."""
    rows = as_float64(embeddings)
    unit = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return np.asarray(unit @ unit.T)


def most_similar_pairs(embeddings: ArrayLike, top: int = 3) -> list[tuple[int, int, float]]:
    """The `top` pairs (i < j) of rows with the highest cosine similarity, most similar first.

    Equal similarities are ordered by (i, j).
    """
    similarities = cosine_similarity_matrix(embeddings)
    n = similarities.shape[0]
    pairs = [(i, j, float(similarities[i, j])) for i in range(n) for j in range(i + 1, n)]
    pairs.sort(key=lambda pair: (-pair[2], pair[0], pair[1]))
    return pairs[:top]


def sentence_embeddings(
    model: Any, tokenizer: Any, sentences: list[str], normalize: bool = True
) -> Array:
    """(n, d) embeddings: the mean of the last hidden states over each sentence's real tokens.

    Padding positions are left out of the mean; with `normalize`, rows have unit norm.
    """
    import torch

    encoded = tokenizer(
        sentences,
        padding=True,
        truncation=True,
        max_length=MINILM_MAX_TOKENS,
        return_tensors="pt",
    )
    model.eval()
    with torch.no_grad():
        hidden = as_float64(model(**encoded).last_hidden_state)
    mask = as_float64(encoded["attention_mask"])[..., None]
    pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
    if normalize:
        pooled = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
    return np.asarray(pooled)
