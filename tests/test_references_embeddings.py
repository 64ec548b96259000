"""Embedding references against scikit-learn / torch cosine similarity, per-sentence pooling
with no padding, and the behaviour of the real MiniLM model."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.metrics.pairwise import cosine_similarity as sklearn_cosine
from transformers import AutoModel

from grader.references.embeddings import (
    cosine_similarity,
    cosine_similarity_matrix,
    most_similar_pairs,
    sentence_embeddings,
)
from grader.references.tokenization import minilm_model_dir, minilm_tokenizer

pytestmark = pytest.mark.torch


@cache
def _minilm() -> Any:
    return AutoModel.from_pretrained(str(minilm_model_dir()), local_files_only=True)


@pytest.mark.parametrize(
    ("u", "v", "expected"),
    [
        ([1, 0], [0, 1], 0.0),
        ([1, 2], [2, 4], 1.0),
        ([1, 1], [-1, -1], -1.0),
        ([3, 4], [4, 3], 0.96),
    ],
)
def test_cosine_similarity_by_hand(u: list[int], v: list[int], expected: float) -> None:
    assert cosine_similarity(u, v) == pytest.approx(expected)


def test_cosine_similarity_matches_scikit_learn_and_torch() -> None:
    rows = np.random.default_rng(0).standard_normal((6, 16))
    matrix = cosine_similarity_matrix(rows)
    assert np.allclose(matrix, sklearn_cosine(rows))
    tensor = torch.from_numpy(rows)
    assert cosine_similarity(rows[1], rows[4]) == pytest.approx(
        F.cosine_similarity(tensor[1], tensor[4], dim=0).item()
    )


def test_cosine_similarity_refuses_zero_and_mismatched_vectors() -> None:
    with pytest.raises(ValueError, match="zero vector"):
        cosine_similarity([0, 0], [1, 2])
    with pytest.raises(ValueError, match="different sizes"):
        cosine_similarity([1, 2, 3], [1, 2])


def test_most_similar_pairs_by_hand() -> None:
    rows = [[1, 0], [0.9, 0.1], [0, 1], [-1, 0]]
    pairs = most_similar_pairs(rows, top=2)
    assert [(i, j) for i, j, _ in pairs] == [(0, 1), (1, 2)]
    assert pairs[0][2] == pytest.approx(0.9 / np.hypot(0.9, 0.1))


SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The stock market fell sharply today.",
    "Le médecin a vu sa patiente.",
]


def test_sentence_embeddings_leave_padding_out_of_the_mean() -> None:
    model, tokenizer = _minilm(), minilm_tokenizer()
    batch = sentence_embeddings(model, tokenizer, SENTENCES)
    one_by_one = np.vstack([sentence_embeddings(model, tokenizer, [s]) for s in SENTENCES])
    assert batch.shape == (4, 384)
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0)
    assert np.allclose(batch, one_by_one, atol=1e-5)


def test_minilm_finds_the_paraphrase() -> None:
    embeddings = sentence_embeddings(_minilm(), minilm_tokenizer(), SENTENCES)
    (i, j, score), *_ = most_similar_pairs(embeddings, top=1)
    assert (i, j) == (0, 1)
    assert score > cosine_similarity(embeddings[0], embeddings[2]) + 0.3
