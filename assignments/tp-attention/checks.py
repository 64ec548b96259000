"""Checks of tp-attention. Public checks ship to students; hidden ones run at grading time only.

Inputs of hidden checks come from `rng`, drawn from the grading run's secret seed: a notebook
that hard-codes the answers of the worked example passes the public checks and nothing else.
"""

import numpy as np

from grader.checks import check, expect
from grader.references.attention import causal_mask, scaled_dot_product_attention, softmax

Q = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
K = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
V = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
FORBIDDEN = ["torch.nn.functional.scaled_dot_product_attention", "torch.nn.MultiheadAttention"]


@check("calcul.scores")
def hand_scores(nb, rng):
    expect.close(nb.get("S"), Q @ K.T / np.sqrt(2), what="scores S", rtol=1e-3, atol=1e-3)


@check("calcul.poids")
def hand_weights(nb, rng):
    weights = nb.get("A")
    expect.sums_to(weights, 1, what="poids d'attention A", atol=1e-3)
    expect.close(weights, softmax(Q @ K.T / np.sqrt(2)), what="poids d'attention A",
                 rtol=1e-3, atol=1e-3)


@check("calcul.sortie")
def hand_output(nb, rng):
    expected = softmax(Q @ K.T / np.sqrt(2)) @ V
    expect.close(nb.get("O"), expected, what="sortie O", rtol=1e-3, atol=1e-3)


@check("softmax.exemple")
def softmax_example(nb, rng):
    x = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    expect.close(nb.call("softmax", x), softmax(x), what="softmax([[1, 2, 3], [0, 0, 0]])")


@check("softmax.stable")
def softmax_stable(nb, rng):
    x = np.array([1000.0, 1000.0, 999.0])
    expect.close(nb.call("softmax", x), softmax(x), what="softmax([1000, 1000, 999])")


@check("softmax.axes", hidden=True)
def softmax_axes(nb, rng):
    x = rng.normal(scale=5.0, size=tuple(rng.integers(2, 6, size=3)))
    for axis in (-1, 0, 1):
        got = nb.call("softmax", x, axis=axis)
        expect.close(got, softmax(x, axis=axis), what=f"softmax(x, axis={axis})")


@check("sdpa.exemple")
def sdpa_example(nb, rng):
    output, weights = expect.parts(nb.call("scaled_dot_product_attention", Q, K, V), 2,
                                   "scaled_dot_product_attention(Q, K, V)")
    reference_output, reference_weights = scaled_dot_product_attention(Q, K, V)
    expect.close(weights, reference_weights, what="poids d'attention")
    expect.close(output, reference_output, what="sortie de l'attention")


@check("sdpa.aleatoire", hidden=True)
def sdpa_random_3d(nb, rng):
    batch, t_q, t_k, d_k, d_v = rng.integers(2, 7, size=5)
    q = rng.standard_normal((batch, t_q, d_k))
    k = rng.standard_normal((batch, t_k, d_k))
    v = rng.standard_normal((batch, t_k, d_v))
    output, weights = expect.parts(nb.call("scaled_dot_product_attention", q, k, v), 2,
                                   "scaled_dot_product_attention(Q, K, V)")
    reference_output, reference_weights = scaled_dot_product_attention(q, k, v)
    expect.sums_to(weights, 1, what="poids d'attention")
    expect.close(weights, reference_weights, what="poids d'attention")
    expect.close(output, reference_output, what="sortie de l'attention")


@check("sdpa.tetes", hidden=True)
def sdpa_random_4d(nb, rng):
    batch, heads, steps, d_k = rng.integers(2, 6, size=4)
    q, k, v = rng.standard_normal((3, batch, heads, steps, d_k))
    output, weights = expect.parts(nb.call("scaled_dot_product_attention", q, k, v), 2,
                                   "attention à 4 dimensions (batch, têtes, T, d)")
    reference_output, reference_weights = scaled_dot_product_attention(q, k, v)
    expect.close(weights, reference_weights, what="poids d'attention (4 dimensions)")
    expect.close(output, reference_output, what="sortie de l'attention (4 dimensions)")


@check("sdpa.masque", hidden=True)
def sdpa_mask(nb, rng):
    steps, d_k = rng.integers(3, 8, size=2)
    q, k, v = rng.standard_normal((3, 2, steps, d_k))
    mask = rng.random((steps, steps)) < 0.6
    mask[np.arange(steps), rng.integers(0, steps, size=steps)] = True  # no row fully masked
    output, weights = expect.parts(nb.call("scaled_dot_product_attention", q, k, v, mask), 2,
                                   "attention masquée")
    reference_output, reference_weights = scaled_dot_product_attention(q, k, v, mask)
    expect.close(weights, reference_weights, what="poids d'attention masqués")
    expect.close(output, reference_output, what="sortie de l'attention masquée")


@check("sdpa.torch", hidden=True)
def sdpa_torch(nb, rng):
    import torch

    batch, heads, steps, d_k = rng.integers(2, 5, size=4)
    q, k, v = (torch.from_numpy(a) for a in rng.standard_normal((3, batch, heads, steps, d_k)))
    mask = torch.from_numpy(causal_mask(int(steps)))
    output, weights = expect.parts(nb.call("scaled_dot_product_attention", q, k, v, mask), 2,
                                   "attention sur des tenseurs torch")
    expect.torch_tensor(output, "sortie pour des entrées torch")
    reference_output, reference_weights = scaled_dot_product_attention(q, k, v, mask)
    expect.close(weights, reference_weights, what="poids d'attention (torch, masque causal)")
    expect.close(output, reference_output, what="sortie de l'attention (torch, masque causal)")


@check("sdpa.implementation")
def sdpa_is_implemented(nb, rng):
    q, k, v = rng.standard_normal((3, 2, 5, 4))
    output, _ = expect.parts(nb.call("scaled_dot_product_attention", q, k, v), 2,
                             "scaled_dot_product_attention(Q, K, V)")
    expect.close(output, scaled_dot_product_attention(q, k, v)[0], what="sortie de l'attention")
    expect.no_library_call(nb, "scaled_dot_product_attention", FORBIDDEN)


@check("masque.causal")
def mask_example(nb, rng):
    got = nb.call("causal_mask", 4)
    expect.dtype(got, "b", "causal_mask(4)")
    expect.equal(got, causal_mask(4), "causal_mask(4)")


@check("masque.tailles", hidden=True)
def mask_sizes(nb, rng):
    for steps in sorted(set(rng.integers(1, 12, size=3).tolist())):
        got = nb.call("causal_mask", steps)
        expect.equal(np.asarray(got, dtype=bool), causal_mask(steps), f"causal_mask({steps})")
