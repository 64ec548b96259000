"""Language-model references against hand-computed values, a second implementation, and
transformers' / scipy's / torch's own functions."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import torch
from scipy.stats import entropy as scipy_entropy

from grader.mirror.standins import tiny_gpt2
from grader.references.lm import (
    EOS,
    UNK,
    causal_lm_perplexity,
    entropy,
    softmax_entropy,
    train_trigram,
    trigram_perplexity,
)
from grader.references.tokenization import gpt2_tokenizer


def test_trigram_perplexity_by_hand() -> None:
    # V = {a, b, c, </s>, <unk>}: P(a|<s>,<s>) = 3/7, P(b|<s>,a) = 2/7, P(</s>|a,b) = 2/6
    expected = (Fraction(3, 7) * Fraction(2, 7) * Fraction(1, 3)) ** (-1 / 3)
    assert trigram_perplexity(["a b", "a c"], ["a b"], k=1) == pytest.approx(float(expected))


def test_unknown_test_words_become_unk() -> None:
    model = train_trigram(["a b", "a c"], k=1)
    assert model.padded("a z") == ["<s>", "<s>", "a", UNK, EOS]
    # P(<unk>|<s>,a) = 1/7, P(</s>|a,<unk>) = 1/5 (unseen context: uniform over V)
    assert model.probability("<s>", "a", UNK) == pytest.approx(1 / 7)
    assert model.probability("a", UNK, EOS) == pytest.approx(1 / 5)


CORPUS = [
    "le chat dort sur le tapis",
    "le chien dort dans le jardin",
    "un chat mange dans le jardin",
    "le chat mange le poisson",
]


@pytest.mark.parametrize("k", [1, 0.5, 0.01])
def test_add_k_probabilities_sum_to_one_over_the_vocabulary(k: float) -> None:
    model = train_trigram(CORPUS, k=k)
    for context in [("<s>", "<s>"), ("le", "chat"), ("chat", "mange"), ("jamais", "vu")]:
        total = sum(model.probability(*context, w) for w in model.vocabulary)
        assert total == pytest.approx(1.0)


def _perplexity_second_implementation(train: list[str], test: list[str], k: float) -> float:
    """Straight from the definition, counting trigrams and contexts by scanning the corpus."""
    padded_train = [["<s>", "<s>", *s.split(), "</s>"] for s in train]
    vocabulary = {w for s in train for w in s.split()} | {"</s>", "<unk>"}
    log_sum, n = 0.0, 0
    for sentence in test:
        words = [w if w in vocabulary else "<unk>" for w in sentence.split()]
        padded = ["<s>", "<s>", *words, "</s>"]
        for i in range(2, len(padded)):
            u, v, w = padded[i - 2 : i + 1]
            c_uvw = sum(s[j : j + 3] == [u, v, w] for s in padded_train for j in range(len(s) - 2))
            c_uv = sum(s[j : j + 2] == [u, v] for s in padded_train for j in range(len(s) - 2))
            log_sum += math.log((c_uvw + k) / (c_uv + k * len(vocabulary)))
            n += 1
    return math.exp(-log_sum / n)


@pytest.mark.parametrize("k", [1, 0.1])
def test_trigram_perplexity_matches_a_second_implementation(k: float) -> None:
    test = ["le chat dort dans le jardin", "un chien mange le tapis rouge"]
    expected = _perplexity_second_implementation(CORPUS, test, k)
    assert trigram_perplexity(CORPUS, test, k=k) == pytest.approx(expected, rel=1e-12)


def test_trigram_perplexity_without_smoothing_is_infinite_on_an_unseen_trigram() -> None:
    assert trigram_perplexity(CORPUS, ["le chat dort dans le jardin"], k=0) == math.inf
    assert math.isfinite(trigram_perplexity(CORPUS, ["le chat dort sur le tapis"], k=0))


@pytest.mark.torch
def test_causal_lm_perplexity_matches_the_model_loss() -> None:
    model, tokenizer = tiny_gpt2(), gpt2_tokenizer()
    sentences = ["Le chat dort.", "Les modèles de langage prédisent le mot suivant."]
    nll, count = 0.0, 0
    for sentence in sentences:
        ids = torch.tensor([[tokenizer.bos_token_id, *tokenizer(sentence)["input_ids"]]])
        with torch.no_grad():
            loss = model(ids, labels=ids).loss.item()  # mean over predicted tokens, in float32
        nll += loss * (ids.shape[1] - 1)
        count += ids.shape[1] - 1
    assert causal_lm_perplexity(model, tokenizer, sentences) == pytest.approx(
        math.exp(nll / count), rel=1e-5
    )
    # a random model over 50,257 tokens is about as perplexed as a uniform guess
    assert 10_000 < math.exp(nll / count) < 200_000


def test_entropy_of_known_distributions() -> None:
    assert entropy(np.full(8, 1 / 8)) == pytest.approx(math.log(8))
    assert entropy(np.full(8, 1 / 8), base=2) == pytest.approx(3.0)
    assert entropy([1.0, 0.0, 0.0]) == 0.0  # 0 log 0 counts as 0


@pytest.mark.torch
@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0, 1.5])
def test_softmax_entropy_matches_scipy_and_torch(temperature: float) -> None:
    logits = np.random.default_rng(3).standard_normal((5, 30)) * 2
    got = softmax_entropy(logits, temperature)
    probs = torch.softmax(torch.from_numpy(logits) / temperature, dim=-1)
    assert np.allclose(got, scipy_entropy(probs.numpy(), axis=-1))
    assert np.allclose(got, torch.distributions.Categorical(probs=probs).entropy().numpy())


def test_entropy_grows_with_temperature() -> None:
    logits = np.random.default_rng(4).standard_normal(100) * 2
    values = [softmax_entropy(logits, t) for t in (0.1, 0.5, 1.0, 1.5)]
    assert values == sorted(values)
    assert values[-1] < math.log(100)
