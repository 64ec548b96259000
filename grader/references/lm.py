"""Language-model references: add-k trigram perplexity, causal LM perplexity, entropy.

Trigram convention: a sentence is split on whitespace (or given as a list of tokens), padded
with two "<s>" in front and one "</s>" at the end; test words never seen in training become
"<unk>". The vocabulary V is the training words plus "</s>" and "<unk>" ("<s>" is never
predicted), so that P(w | u, v) = (c(u, v, w) + k) / (c(u, v) + k·|V|) sums to 1 over V.
Perplexity = exp(-(1/N) Σ log P) over the N predicted tokens, "</s>" included.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from grader.references.attention import Array, as_float64, softmax

BOS, EOS, UNK = "<s>", "</s>", "<unk>"
Sentence = str | Sequence[str]


def sentence_tokens(sentence: Sentence) -> list[str]:
    return sentence.split() if isinstance(sentence, str) else list(sentence)


@dataclass(frozen=True)
class TrigramModel:
    """Trigram counts with add-k smoothing."""

    trigrams: Counter[tuple[str, str, str]]
    contexts: Counter[tuple[str, str]]
    vocabulary: frozenset[str]
    k: float

    def padded(self, sentence: Sentence) -> list[str]:
        words = [w if w in self.vocabulary else UNK for w in sentence_tokens(sentence)]
        return [BOS, BOS, *words, EOS]

    def probability(self, u: str, v: str, w: str) -> float:
        numerator = self.trigrams[(u, v, w)] + self.k
        denominator = self.contexts[(u, v)] + self.k * len(self.vocabulary)
        # with k = 0 an unseen context has no distribution: its words get probability 0
        return numerator / denominator if denominator > 0 else 0.0

    def log_likelihood(self, sentences: Iterable[Sentence]) -> tuple[float, int]:
        """(Σ log P over every predicted token, number of predicted tokens)."""
        total, count = 0.0, 0
        for sentence in sentences:
            padded = self.padded(sentence)
            for u, v, w in zip(padded, padded[1:], padded[2:], strict=False):
                probability = self.probability(u, v, w)
                total += math.log(probability) if probability > 0 else -math.inf
                count += 1
        return total, count

    def perplexity(self, sentences: Iterable[Sentence]) -> float:
        """exp of the mean negative log-likelihood; inf when a test token has probability 0."""
        total, count = self.log_likelihood(sentences)
        if count == 0:
            raise ValueError("no sentence to compute a perplexity on")
        return math.exp(-total / count)


def train_trigram(train_sentences: Iterable[Sentence], k: float = 1.0) -> TrigramModel:
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    trigrams: Counter[tuple[str, str, str]] = Counter()
    vocabulary = {EOS, UNK}
    for sentence in train_sentences:
        words = sentence_tokens(sentence)
        vocabulary.update(words)
        padded = [BOS, BOS, *words, EOS]
        trigrams.update(zip(padded, padded[1:], padded[2:], strict=False))
    contexts: Counter[tuple[str, str]] = Counter()
    for (u, v, _), count in trigrams.items():
        contexts[(u, v)] += count
    return TrigramModel(trigrams, contexts, frozenset(vocabulary), k)


def trigram_perplexity(
    train_sentences: Iterable[Sentence], test_sentences: Iterable[Sentence], k: float = 1.0
) -> float:
    """Perplexity on `test_sentences` of an add-k trigram model trained on `train_sentences`."""
    return train_trigram(train_sentences, k).perplexity(test_sentences)


def causal_lm_perplexity(
    model: Any, tokenizer: Any, sentences: Iterable[str], add_bos: bool = True
) -> float:
    """exp(mean negative log-likelihood) of a causal LM over every predicted token.

    Each sentence is scored on its own. With `add_bos`, the tokenizer's BOS token (GPT-2's
    <|endoftext|>) is put in front so that the first word is predicted too; without it, the
    first token is context only.
    """
    import torch

    model.eval()
    total, count = 0.0, 0
    for sentence in sentences:
        ids = [int(i) for i in tokenizer(sentence)["input_ids"]]
        if add_bos:
            ids = [int(tokenizer.bos_token_id), *ids]
        if len(ids) < 2:
            continue
        with torch.no_grad():
            logits = as_float64(model(torch.tensor([ids])).logits[0])
        log_probs = np.log(softmax(logits[:-1], axis=-1))
        total -= float(log_probs[np.arange(len(ids) - 1), ids[1:]].sum())
        count += len(ids) - 1
    if count == 0:
        raise ValueError("no token to predict in the given sentences")
    return math.exp(total / count)


def entropy(probs: ArrayLike, axis: int = -1, base: float | None = None) -> Array | float:
    """Shannon entropy -Σ p log p of distributions along `axis` (nats; bits with base=2).

    0·log 0 counts as 0. A single distribution gives a float.
    """
    p = as_float64(probs)
    terms = np.zeros_like(p)
    positive = p > 0
    terms[positive] = p[positive] * np.log(p[positive])
    result = -terms.sum(axis=axis)
    if base is not None:
        result = result / math.log(base)
    return float(result) if np.ndim(result) == 0 else np.asarray(result)


def softmax_entropy(logits: ArrayLike, temperature: float = 1.0) -> Array | float:
    """Entropy of softmax(logits / T) along the last axis: it grows with the temperature."""
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    return entropy(softmax(as_float64(logits) / temperature))
