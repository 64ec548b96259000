"""Checks of tp2-decodage: temperature, top-k and top-p filters, greedy decoding, the table.

The filters are compared with grader.references.decoding (transformers' logits processors) on
float64 tensors drawn from `rng`. Greedy decoding is compared with the reference run in the
grader process on the same model the kernel loads: the mirror's "gpt2" is a tiny stand-in built
from a fixed seed, so `tiny_gpt2()` here has exactly its weights.
"""

from functools import cache

import numpy as np

from grader.checks import CheckFailed, check, expect, reference
from grader.mirror.standins import tiny_gpt2
from grader.references.decoding import apply_temperature, greedy_decode, top_k_filter, top_p_filter
from grader.references.tokenization import gpt2_tokenizer

PROMPT = "Il était une fois"
NEW_TOKENS = 20
STRATEGIES = ["greedy", "T=0.7", "top-k=10", "top-k=50", "top-k=100", "top-p=0.9", "top-p=0.95"]
PROMPTS = ["Le chat", "La tour Eiffel est", "Paris est une ville", "Hier soir, nous avons"]
# Runs in the kernel, on the `model` and `tokenizer` the notebook's given first cell loads.
GREEDY_IN_KERNEL = "greedy_decode(model, tokenizer, prompt, max_new_tokens)"


@cache
def reference_model():
    return tiny_gpt2()


def _tensor(array):
    """`array` as the torch tensor the student's filters take. torch is imported here, not at
    the top: grader's main process loads this file without needing torch (1.6 s)."""
    import torch

    return torch.from_numpy(array)


@reference  # once per grading run and input
def reference_greedy(prompt, max_new_tokens):
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model: more threads only fight the kernels for the cores
    try:
        return greedy_decode(reference_model(), gpt2_tokenizer(), prompt, max_new_tokens).text
    finally:
        torch.set_num_threads(threads)


def same_filter(got, expected, what):
    """The same tokens removed (-inf), then the same values on the tokens kept."""
    expect.torch_tensor(got, what)
    values = expect.array(got, what)
    expect.shape(values, expected.shape, what)
    removed, expected_removed = np.isneginf(values), np.isneginf(expected)
    if (removed != expected_removed).any():
        row = tuple(int(i) for i in np.argwhere(removed != expected_removed)[0][:-1])
        where = f" (ligne {row[0]})" if row else ""
        kept, expected_kept = int((~removed).sum()), int((~expected_removed).sum())
        raise CheckFailed(
            f"{what}{where} : {kept} jetons gardés au total, attendu {expected_kept}",
            redacted=f"{what}{where} : les jetons gardés ne sont pas les bons",
        )
    expect.close(np.where(removed, 0.0, values), np.where(removed, 0.0, expected), what=what)


def random_logits(rng, rows=None):
    vocabulary = int(rng.integers(8, 60))
    shape = (vocabulary,) if rows is None else (rows, vocabulary)
    return rng.normal(scale=2.0, size=shape)


@check("temperature.exemple")
def temperature_example(nb, rng):
    logits = np.array([2.0, 1.0, 0.5, -1.0])
    got = nb.call("apply_temperature", _tensor(logits), 0.5)
    expect.torch_tensor(got, "apply_temperature(logits, 0.5)")
    expect.close(got, apply_temperature(logits, 0.5), what="apply_temperature(logits, 0.5)")


@check("temperature.aleatoire", hidden=True)
def temperature_random(nb, rng):
    logits = random_logits(rng, rows=3)
    for temperature in (float(rng.uniform(0.2, 0.9)), float(rng.uniform(1.1, 3.0))):
        got = nb.call("apply_temperature", _tensor(logits), temperature)
        expect.close(got, apply_temperature(logits, temperature), what="logits / T (lot de 3)")


@check("topk.exemple")
def top_k_example(nb, rng):
    logits = np.array([3.0, 1.0, 2.0, 0.5, -1.0])
    got = nb.call("top_k_filter", _tensor(logits), 2)
    same_filter(got, top_k_filter(logits, 2), "top_k_filter([3, 1, 2, 0.5, -1], k=2)")


@check("topk.aleatoire", hidden=True)
def top_k_random(nb, rng):
    logits = random_logits(rng, rows=4)
    k = int(rng.integers(1, logits.shape[-1]))
    got = nb.call("top_k_filter", _tensor(logits), k)
    same_filter(got, top_k_filter(logits, k), f"top_k_filter sur un lot de 4, k = {k}")


@check("topk.egalites", hidden=True)
def top_k_ties(nb, rng):
    logits = np.round(rng.normal(size=int(rng.integers(10, 20))), 1)
    k = int(rng.integers(2, 6))
    kth = np.sort(logits)[-k]
    logits[rng.choice(np.flatnonzero(logits < kth), size=2, replace=False)] = kth  # ties at k-th
    got = nb.call("top_k_filter", _tensor(logits), k)
    same_filter(got, top_k_filter(logits, k), f"top_k_filter avec des ex æquo, k = {k}")


@check("topp.exemple")
def top_p_example(nb, rng):
    logits = np.array([2.0, 1.0, 0.5, -1.0])
    got = nb.call("top_p_filter", _tensor(logits), 0.7)
    same_filter(got, top_p_filter(logits, 0.7), "top_p_filter([2, 1, 0.5, -1], p=0.7)")


@check("topp.aleatoire", hidden=True)
def top_p_random(nb, rng):
    logits = random_logits(rng, rows=4)
    p = float(rng.uniform(0.3, 0.95))
    got = nb.call("top_p_filter", _tensor(logits), p)
    same_filter(got, top_p_filter(logits, p), f"top_p_filter sur un lot de 4, p = {p:.2f}")


@check("topp.minimum", hidden=True)
def top_p_keeps_one(nb, rng):
    logits = random_logits(rng)
    p = float(rng.uniform(0.001, 0.01))
    got = nb.call("top_p_filter", _tensor(logits), p)
    same_filter(got, top_p_filter(logits, p), f"top_p_filter, p = {p:.3f} (un seul jeton)")


def check_greedy(nb, prompt, max_new_tokens):
    what = f"greedy_decode(model, tokenizer, {prompt!r}, {max_new_tokens})"
    got = nb.run(GREEDY_IN_KERNEL, prompt=prompt, max_new_tokens=max_new_tokens)
    expect.equal(got, reference_greedy(prompt, max_new_tokens), what)


@check("glouton.exemple")
def greedy_example(nb, rng):
    check_greedy(nb, "Le chat", 5)


@check("glouton.aleatoire", hidden=True)
def greedy_random(nb, rng):
    check_greedy(nb, str(rng.choice(PROMPTS)), int(rng.integers(3, 9)))


@check("glouton.implementation")
def greedy_is_implemented(nb, rng):
    check_greedy(nb, "Bonjour", 3)
    expect.no_library_call(nb, "greedy_decode", ["model.generate"])


@check("tableau.strategies")
def table_strategies(nb, rng):
    generations = nb.get("generations")
    if not isinstance(generations, dict):
        raise CheckFailed(f"generations : un dictionnaire est attendu, reçu {type(generations)}")
    expect.equal(sorted(generations), sorted(STRATEGIES), "clés de generations")
    for strategy, text in generations.items():
        if not isinstance(text, str) or not text.startswith(PROMPT) or text == PROMPT:
            raise CheckFailed(
                f'generations["{strategy}"] : le texte complet (PROMPT suivi de la suite '
                f"générée) est attendu, reçu {str(text)[:60]!r}"
            )


@check("tableau.glouton")
def table_greedy(nb, rng):
    generations = nb.get("generations")
    got = generations.get("greedy") if isinstance(generations, dict) else None
    expect.equal(got, reference_greedy(PROMPT, NEW_TOKENS), 'generations["greedy"]')
