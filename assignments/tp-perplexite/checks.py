"""Checks of tp-perplexite: add-k trigram perplexity (Expérience 4), entropy (Expérience 9).

Hidden checks draw their corpora, smoothing constants and distributions from `rng`.
"""

import numpy as np

from grader.checks import check, expect
from grader.references.lm import entropy, softmax_entropy, trigram_perplexity

TRAIN = [
    "le chat dort sur le tapis",
    "le chien dort dans le jardin",
    "un chat mange une souris",
    "le chat mange",
    "un chien court dans le jardin",
    "le petit chat dort",
]
TEST = ["le chien dort sur le tapis", "un petit chien mange une souris"]
LOGITS = np.array([3.0, 2.0, 1.0, 0.5, 0.0, -1.0, -2.0])
TEMPERATURES = [0.1, 0.5, 1.0, 1.5]
WORDS = ["le", "la", "un", "une", "chat", "chien", "souris", "dort", "mange", "court", "vite"]
UNSEEN = ["zèbre", "girafe", "nage", "bleu"]


def random_sentences(rng, count, words):
    return [" ".join(rng.choice(words, size=rng.integers(1, 7))) for _ in range(count)]


def numbers(value):
    """A list of plain numbers as an array (a list of floats is a fine answer for `entropies`)."""
    if isinstance(value, list | tuple) and all(isinstance(x, int | float) for x in value):
        return np.array(value, dtype=float)
    return value


@check("trigram.exemple")
def trigram_example(nb, rng):
    expect.close(
        nb.call("trigram_perplexity", TRAIN, TEST, 1),
        trigram_perplexity(TRAIN, TEST, 1),
        what="trigram_perplexity(TRAIN, TEST, k=1)",
        rtol=1e-6,
    )


@check("trigram.lissage", hidden=True)
def trigram_smoothing(nb, rng):
    train = random_sentences(rng, int(rng.integers(5, 10)), WORDS)
    test = random_sentences(rng, int(rng.integers(2, 5)), WORDS)
    for k in (float(rng.choice([0.05, 0.1, 0.3])), float(rng.choice([0.5, 2.0, 3.0]))):
        expect.close(
            nb.call("trigram_perplexity", train, test, k),
            trigram_perplexity(train, test, k),
            what=f"perplexité sur un corpus aléatoire, k = {k:g}",
            rtol=1e-6,
        )


@check("trigram.inconnus", hidden=True)
def trigram_unknown_words(nb, rng):
    train = random_sentences(rng, int(rng.integers(4, 8)), WORDS[:6])
    test = random_sentences(rng, 3, WORDS[:6] + UNSEEN)
    test.append(" ".join(rng.choice(UNSEEN, size=2)))  # at least one unseen word
    expect.close(
        nb.call("trigram_perplexity", train, test, 1),
        trigram_perplexity(train, test, 1),
        what="perplexité avec des mots inconnus de l'entraînement",
        rtol=1e-6,
    )


@check("experience4.ppl")
def experience4(nb, rng):
    expect.close(nb.get("ppl"), trigram_perplexity(TRAIN, TEST, 1), what="ppl", rtol=1e-6)


@check("entropie.exemple")
def entropy_example(nb, rng):
    for probs in ([0.5, 0.5], [0.25, 0.25, 0.25, 0.25], [0.7, 0.2, 0.1]):
        expect.close(nb.call("entropy", np.array(probs)), entropy(probs), what=f"entropy({probs})")


@check("entropie.zeros")
def entropy_with_zeros(nb, rng):
    for probs in ([1.0, 0.0, 0.0], [0.5, 0.0, 0.5]):
        expect.close(nb.call("entropy", np.array(probs)), entropy(probs), what=f"entropy({probs})")


@check("entropie.aleatoire", hidden=True)
def entropy_random(nb, rng):
    for size in rng.integers(3, 30, size=3):
        probs = rng.dirichlet(np.full(size, 0.5))
        probs[rng.integers(0, size)] = 0.0  # a zero, as softmax gives in float64 at low T
        probs /= probs.sum()
        expect.close(nb.call("entropy", probs), entropy(probs), what="entropie d'une distribution")


@check("experience9.temperatures")
def experience9(nb, rng):
    expected = [softmax_entropy(LOGITS, t) for t in TEMPERATURES]
    expect.close(numbers(nb.get("entropies")), expected, what="entropies", rtol=1e-6)
