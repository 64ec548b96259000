"""Checks of tp-attention. Public checks ship to students; hidden ones run at grading time only.

Inputs of hidden checks come from `rng`, drawn from the grading run's secret seed: a notebook
that hard-codes the answers of the worked example passes the public checks and nothing else.
"""

import contextlib
import io

import numpy as np

from grader.checks import CheckFailed, check, expect, reference
from grader.references.attention import (
    ProjectionWeights,
    attention_stand_in,
    causal_mask,
    model_attention_weights,
    multi_head_attention,
    scaled_dot_product_attention,
    softmax,
    softmax_stand_in,
)

Q = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
K = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
V = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
FORBIDDEN = ["torch.nn.functional.scaled_dot_product_attention", "torch.nn.MultiheadAttention"]
MHA_FORBIDDEN = [*FORBIDDEN, "torch.nn.functional.multi_head_attention_forward"]
SENTENCE = "Le médecin a vu sa patiente. Il lui a parlé longtemps."
# Carry-forward (« erreur reportée »): an attention judged with the reference softmax when the
# student's softmax is wrong, a multi-head layer with the reference attention when theirs is.
USES_SOFTMAX = {"softmax": softmax_stand_in}
USES_ATTENTION = {"scaled_dot_product_attention": attention_stand_in, **USES_SOFTMAX}

# Runs in the student's kernel: their module, the grader's weights (float32, as nn.Linear keeps
# them), a batch drawn by the grader; the values come back as data.
RUN_MHA = """
import torch as _torch
_layer = MultiHeadAttention(d_model, num_heads)
_layer.load_state_dict({name: _torch.as_tensor(w, dtype=_torch.float32) for name, w in state.items()})
_layer.eval()
_mask = None if mask is None else _torch.as_tensor(mask, dtype=_torch.bool)
with _torch.no_grad():
    _result = _layer(_torch.as_tensor(x, dtype=_torch.float32), _mask)
_result
"""


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


@check("sdpa.exemple", uses=USES_SOFTMAX)
def sdpa_example(nb, rng):
    output, weights = expect.parts(nb.call("scaled_dot_product_attention", Q, K, V), 2,
                                   "scaled_dot_product_attention(Q, K, V)")
    reference_output, reference_weights = scaled_dot_product_attention(Q, K, V)
    expect.close(weights, reference_weights, what="poids d'attention")
    expect.close(output, reference_output, what="sortie de l'attention")


@check("sdpa.aleatoire", hidden=True, uses=USES_SOFTMAX)
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


@check("sdpa.tetes", hidden=True, uses=USES_SOFTMAX)
def sdpa_random_4d(nb, rng):
    batch, heads, steps, d_k = rng.integers(2, 6, size=4)
    q, k, v = rng.standard_normal((3, batch, heads, steps, d_k))
    output, weights = expect.parts(nb.call("scaled_dot_product_attention", q, k, v), 2,
                                   "attention à 4 dimensions (batch, têtes, T, d)")
    reference_output, reference_weights = scaled_dot_product_attention(q, k, v)
    expect.close(weights, reference_weights, what="poids d'attention (4 dimensions)")
    expect.close(output, reference_output, what="sortie de l'attention (4 dimensions)")


@check("sdpa.masque", hidden=True, uses=USES_SOFTMAX)
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


@check("sdpa.torch", hidden=True, uses=USES_SOFTMAX)
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


# Whether the values are right is the attention criterion's question: this one asks whether
# the student computed them (a result of the right shapes, no library call), so that a wrong
# formula is not penalised twice.
@check("sdpa.implementation", uses=USES_SOFTMAX)
def sdpa_is_implemented(nb, rng):
    q, k, v = rng.standard_normal((3, 2, 5, 4))
    output, weights = expect.parts(nb.call("scaled_dot_product_attention", q, k, v), 2,
                                   "scaled_dot_product_attention(Q, K, V)")
    reference_output, reference_weights = scaled_dot_product_attention(q, k, v)
    expect.shape(output, reference_output.shape, "sortie de l'attention")
    expect.shape(weights, reference_weights.shape, "poids d'attention")
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


def _multi_head(nb, rng, d_model, num_heads, batch, steps, mask=None, what="multi-têtes"):
    weights = ProjectionWeights.random(rng, d_model)
    x = rng.standard_normal((batch, steps, d_model))
    got = nb.run(
        RUN_MHA, d_model=d_model, num_heads=num_heads, state=weights.state_dict(), x=x, mask=mask
    )
    output, attention = expect.parts(got, 2, f"MultiHeadAttention({d_model}, {num_heads})(x)")
    reference_output, reference_weights = multi_head_attention(x, x, x, weights, num_heads, mask)
    expect.shape(attention, reference_weights.shape, f"poids d'attention ({what})")
    expect.close(attention, reference_weights, what=f"poids d'attention ({what})",
                 rtol=1e-4, atol=1e-5)
    expect.close(output, reference_output, what=f"sortie ({what})", rtol=1e-4, atol=1e-5)


@check("mha.couches")
def mha_layers(nb, rng):
    shapes = nb.run(
        "{name: tuple(p.shape) for name, p in MultiHeadAttention(12, 3).state_dict().items()}"
    )
    expected = {name: tuple(w.shape) for name, w in
                ProjectionWeights.random(rng, 12).state_dict().items()}
    expect.equal(shapes, expected, "paramètres de MultiHeadAttention(12, 3)")
    expect.no_library_call(nb, "MultiHeadAttention", MHA_FORBIDDEN)


@check("mha.exemple", uses=USES_ATTENTION)
def mha_example(nb, rng):
    _multi_head(nb, np.random.default_rng(0), 8, 2, batch=1, steps=4, what="d_model=8, 2 têtes")


@check("mha.aleatoire", hidden=True, uses=USES_ATTENTION)
def mha_random(nb, rng):
    num_heads, d_head = (int(n) for n in rng.integers(2, 5, size=2))
    batch, steps = (int(n) for n in rng.integers(2, 6, size=2))
    _multi_head(nb, rng, num_heads * d_head, num_heads, batch, steps)


@check("mha.masque", hidden=True, uses=USES_ATTENTION)
def mha_mask(nb, rng):
    steps = int(rng.integers(3, 7))
    _multi_head(nb, rng, 12, 4, batch=2, steps=steps, mask=causal_mask(steps),
                what="masque causal")


@reference  # once per grading run, whatever the number of workers
def minilm_reference():
    """Tokens and (layers, heads, T, T) attention weights of MiniLM on the sentence, offline."""
    from transformers import BertModel

    from grader.references.tokenization import minilm_model_dir, minilm_tokenizer

    with contextlib.redirect_stderr(io.StringIO()):  # no progress bar amid the CLI's output
        model = BertModel.from_pretrained(minilm_model_dir(), attn_implementation="eager")
    return model_attention_weights(model, minilm_tokenizer(), SENTENCE)


@check("minilm.attentions")
def minilm_attentions(nb, rng):
    tokens, weights = minilm_reference()
    expect.equal(nb.get("jetons"), tokens, "jetons de la phrase")
    attentions = nb.get("attentions")
    expect.shape(attentions, weights.shape, "attentions (couches, têtes, T, T)")
    expect.close(attentions, weights, what="attentions de MiniLM", rtol=1e-3, atol=1e-4)


@check("minilm.tete")
def minilm_head(nb, rng):
    tokens, weights = minilm_reference()
    layer, head = nb.get("couche"), nb.get("tete")
    layers, heads = weights.shape[:2]
    if not (isinstance(layer, int) and isinstance(head, int)
            and 0 <= layer < layers and 0 <= head < heads):
        raise CheckFailed(
            f"couche, tete = {layer!r}, {head!r} : attendu deux entiers, "
            f"0 ≤ couche < {layers} et 0 ≤ tete < {heads}"
        )
    expect.close(nb.get("poids_tete"), weights[layer, head],
                 what=f"poids_tete (couche {layer}, tête {head})", rtol=1e-3, atol=1e-4)
    pronoun, doctor = tokens.index("il"), tokens.index("med")
    best = np.unravel_index(np.argmax(weights[:, :, pronoun, doctor]), (layers, heads))
    if (layer, head) != tuple(int(i) for i in best):
        raise CheckFailed(
            f"la tête choisie (couche {layer}, tête {head}) n'est pas celle où « il » regarde "
            "le plus « med »"
        )
