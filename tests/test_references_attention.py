"""Attention references against torch: F.scaled_dot_product_attention, nn.MultiheadAttention,
and the attention weights a Hugging Face model computes itself."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grader.mirror.standins import tiny_bert
from grader.references.attention import (
    ProjectionWeights,
    causal_mask,
    model_attention_weights,
    multi_head_attention,
    scaled_dot_product_attention,
    softmax,
)
from grader.references.tokenization import minilm_tokenizer

pytestmark = pytest.mark.torch


def test_softmax_of_a_known_row() -> None:
    # e^0, e^ln2, e^ln3 normalise to 1/6, 2/6, 3/6
    assert np.allclose(softmax([0.0, np.log(2), np.log(3)]), [1 / 6, 2 / 6, 3 / 6])


def test_softmax_does_not_overflow_on_large_logits() -> None:
    assert np.allclose(softmax([1000.0, 1000.0]), [0.5, 0.5])


def test_causal_mask_is_lower_triangular() -> None:
    assert causal_mask(3).tolist() == [
        [True, False, False],
        [True, True, False],
        [True, True, True],
    ]


@pytest.mark.parametrize(
    ("shape", "masked"),
    [((5, 4, 8), None), ((2, 3, 5, 8), None), ((2, 3, 5, 8), "causal"), ((2, 6, 4), "random")],
)
def test_sdpa_matches_torch(shape: tuple[int, ...], masked: str | None) -> None:
    rng = np.random.default_rng(0)
    q, k, v = rng.standard_normal((3, *shape))
    length = shape[-2]
    mask = None
    if masked == "causal":
        mask = causal_mask(length)
    elif masked == "random":
        mask = rng.random((shape[0], length, length)) < 0.6
        mask[..., 0] = True  # every query keeps one key, or its row is all -inf
    output, weights = scaled_dot_product_attention(q, k, v, mask)
    expected = F.scaled_dot_product_attention(
        *(torch.from_numpy(a) for a in (q, k, v)),
        attn_mask=None if mask is None else torch.from_numpy(mask),
    )
    assert np.allclose(output, expected.numpy(), atol=1e-10)
    assert np.allclose(weights.sum(axis=-1), 1.0)
    if mask is not None:
        assert np.all(weights[..., ~np.broadcast_to(mask, weights.shape)] == 0)


def test_sdpa_takes_torch_tensors() -> None:
    q = torch.randn(2, 4, 8, dtype=torch.float32)
    output, weights = scaled_dot_product_attention(q, q, q, torch.from_numpy(causal_mask(4)))
    expected, _ = scaled_dot_product_attention(q.numpy(), q.numpy(), q.numpy(), causal_mask(4))
    assert output.dtype == np.float64
    assert np.allclose(output, expected)
    assert weights[0, 0, 1] == 0


def _torch_mha(weights: ProjectionWeights, d_model: int, heads: int) -> torch.nn.MultiheadAttention:
    mha = torch.nn.MultiheadAttention(d_model, heads, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        mha.in_proj_weight.copy_(
            torch.from_numpy(np.vstack([weights.w_q, weights.w_k, weights.w_v]))
        )
        assert weights.b_q is not None and weights.b_k is not None and weights.b_v is not None
        mha.in_proj_bias.copy_(
            torch.from_numpy(np.concatenate([weights.b_q, weights.b_k, weights.b_v]))
        )
        mha.out_proj.weight.copy_(torch.from_numpy(weights.w_o))
        assert weights.b_o is not None
        mha.out_proj.bias.copy_(torch.from_numpy(weights.b_o))
    return mha


@pytest.mark.parametrize(
    ("d_model", "heads", "causal"), [(8, 2, False), (12, 3, True), (16, 1, False)]
)
def test_multi_head_attention_matches_torch_module(d_model: int, heads: int, causal: bool) -> None:
    rng = np.random.default_rng(d_model)
    weights = ProjectionWeights.random(rng, d_model)
    x = rng.standard_normal((2, 5, d_model))
    mask = causal_mask(5) if causal else None
    output, attention = multi_head_attention(x, x, x, weights, heads, mask)

    mha = _torch_mha(weights, d_model, heads)
    tensor = torch.from_numpy(x)
    # torch's attn_mask is True where attention is NOT allowed
    expected, expected_weights = mha(
        tensor,
        tensor,
        tensor,
        attn_mask=None if mask is None else torch.from_numpy(~mask),
        average_attn_weights=False,
    )
    assert np.allclose(output, expected.detach().numpy(), atol=1e-10)
    assert np.allclose(attention, expected_weights.detach().numpy(), atol=1e-10)


def test_multi_head_attention_cross_attention_shapes() -> None:
    rng = np.random.default_rng(1)
    weights = ProjectionWeights.random(rng, 8, bias=False)
    query, memory = rng.standard_normal((1, 3, 8)), rng.standard_normal((1, 7, 8))
    output, attention = multi_head_attention(query, memory, memory, weights, 4)
    assert output.shape == (1, 3, 8)
    assert attention.shape == (1, 4, 3, 7)


def test_multi_head_attention_rejects_indivisible_heads() -> None:
    weights = ProjectionWeights.random(np.random.default_rng(0), 6)
    with pytest.raises(ValueError, match="not divisible"):
        multi_head_attention(
            np.zeros((1, 2, 6)), np.zeros((1, 2, 6)), np.zeros((1, 2, 6)), weights, 4
        )


def test_state_dict_loads_into_a_module_with_four_linear_layers() -> None:
    weights = ProjectionWeights.random(np.random.default_rng(2), 8)
    module = torch.nn.Module()
    for name in ("W_q", "W_k", "W_v", "W_o"):
        module.add_module(name, torch.nn.Linear(8, 8, dtype=torch.float64))
    module.load_state_dict({k: torch.from_numpy(v) for k, v in weights.state_dict().items()})
    assert np.array_equal(module.W_o.weight.detach().numpy(), weights.w_o)


def test_model_attention_weights_recomputed_by_hand_from_the_first_layer() -> None:
    model = tiny_bert()
    tokenizer = minilm_tokenizer()
    text = "Le médecin a vu sa patiente. Il lui a parlé longtemps."
    tokens, weights = model_attention_weights(model, tokenizer, text)
    config = model.config
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]"
    assert weights.shape == (2, 2, len(tokens), len(tokens))
    assert np.allclose(weights.sum(axis=-1), 1.0)

    # Independent value: layer 0's heads from its query/key projections of the embeddings.
    encoded = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**encoded, output_hidden_states=True).hidden_states[0][0].double()
        layer = model.encoder.layer[0].attention.self
        q = hidden @ layer.query.weight.double().T + layer.query.bias.double()
        k = hidden @ layer.key.weight.double().T + layer.key.bias.double()
    d_head = config.hidden_size // config.num_attention_heads
    heads = [slice(h * d_head, (h + 1) * d_head) for h in range(config.num_attention_heads)]
    by_hand = np.stack(
        [softmax(q[:, s].numpy() @ k[:, s].numpy().T / np.sqrt(d_head)) for s in heads]
    )
    assert np.allclose(weights[0], by_hand, atol=1e-5)


def test_attention_weights_of_the_real_minilm_on_the_coreference_sentence() -> None:
    from transformers import AutoModel

    from grader.references.tokenization import minilm_model_dir

    model = AutoModel.from_pretrained(str(minilm_model_dir()), local_files_only=True)
    assert model.config._attn_implementation != "eager"  # SDPA by default: no weights
    text = "Le médecin a vu sa patiente. Il lui a parlé longtemps."
    tokens, weights = model_attention_weights(model, minilm_tokenizer(), text)
    assert weights.shape == (6, 12, len(tokens), len(tokens))
    assert np.allclose(weights.sum(axis=-1), 1.0, atol=1e-5)
    assert "medecin" in tokens or "med" in tokens  # uncased, accents stripped
