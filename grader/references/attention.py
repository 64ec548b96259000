"""Attention references: scaled dot-product, multi-head with given weights, a model's heads.

Inputs may be numpy arrays, nested lists or torch tensors; results are float64 numpy arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]


def as_float64(values: Any) -> Array:
    """A float64 numpy copy of an array, a list or a torch tensor (detached, moved to the CPU)."""
    if hasattr(values, "detach"):
        values = values.detach().cpu().double().numpy()
    return np.asarray(values, dtype=np.float64)


def as_bool(values: Any) -> NDArray[np.bool_]:
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=bool)


def softmax(x: ArrayLike, axis: int = -1) -> Array:
    """Numerically stable softmax: shifting by the maximum keeps exp() from overflowing."""
    values = as_float64(x)
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
    q64, k64, v64 = (as_float64(a) for a in (q, k, v))
    scores = q64 @ np.swapaxes(k64, -1, -2) / np.sqrt(q64.shape[-1])
    if mask is not None:
        scores = np.where(as_bool(mask), scores, -np.inf)
    weights = softmax(scores, axis=-1)
    return weights @ v64, weights


@dataclass(frozen=True)
class ProjectionWeights:
    """The four projections of a multi-head attention layer, as torch.nn.Linear stores them.

    Each `w_*` is (d_model, d_model) and applied as x @ w.T + b (the nn.Linear convention), so
    the weights of a student's `W_q` layer or of torch.nn.MultiheadAttention copy in unchanged.
    """

    w_q: Array
    w_k: Array
    w_v: Array
    w_o: Array
    b_q: Array | None = None
    b_k: Array | None = None
    b_v: Array | None = None
    b_o: Array | None = None

    @classmethod
    def random(cls, rng: np.random.Generator, d_model: int, bias: bool = True) -> ProjectionWeights:
        """Weights drawn at grading time, scaled like nn.Linear's default initialisation."""
        bound = 1.0 / np.sqrt(d_model)

        def draw(*shape: int) -> Array:
            return rng.uniform(-bound, bound, size=shape)

        w_q, w_k, w_v, w_o = (draw(d_model, d_model) for _ in range(4))
        if not bias:
            return cls(w_q, w_k, w_v, w_o)
        return cls(w_q, w_k, w_v, w_o, draw(d_model), draw(d_model), draw(d_model), draw(d_model))

    def state_dict(
        self, prefixes: tuple[str, str, str, str] = ("W_q", "W_k", "W_v", "W_o")
    ) -> dict[str, Array]:
        """Parameters keyed as a module with four nn.Linear layers names them (`W_q.weight`...)."""
        state: dict[str, Array] = {}
        for prefix, weight, bias in zip(
            prefixes,
            (self.w_q, self.w_k, self.w_v, self.w_o),
            (self.b_q, self.b_k, self.b_v, self.b_o),
            strict=True,
        ):
            state[f"{prefix}.weight"] = weight
            if bias is not None:
                state[f"{prefix}.bias"] = bias
        return state


def _project(x: Array, weight: Array, bias: Array | None) -> Array:
    projected = x @ as_float64(weight).T
    return projected if bias is None else projected + as_float64(bias)


def multi_head_attention(
    query: ArrayLike,
    key: ArrayLike,
    value: ArrayLike,
    weights: ProjectionWeights,
    num_heads: int,
    mask: ArrayLike | None = None,
) -> tuple[Array, Array]:
    """Multi-head attention of (batch, T, d_model) inputs with the given projections.

    Heads are contiguous slices of d_model (head h uses features h·d_head to (h+1)·d_head), as in
    torch.nn.MultiheadAttention. `mask` is True where attention is allowed, broadcastable to
    (batch, num_heads, T_q, T_k). Returns (output (batch, T_q, d_model),
    attention weights (batch, num_heads, T_q, T_k)).
    """
    q_in, k_in, v_in = (as_float64(a) for a in (query, key, value))
    d_model = q_in.shape[-1]
    if d_model % num_heads:
        raise ValueError(f"d_model={d_model} is not divisible by num_heads={num_heads}")
    d_head = d_model // num_heads

    def split_heads(x: Array) -> Array:
        batch, length, _ = x.shape
        return x.reshape(batch, length, num_heads, d_head).transpose(0, 2, 1, 3)

    q = split_heads(_project(q_in, weights.w_q, weights.b_q))
    k = split_heads(_project(k_in, weights.w_k, weights.b_k))
    v = split_heads(_project(v_in, weights.w_v, weights.b_v))
    heads, attention_weights = scaled_dot_product_attention(q, k, v, mask)
    batch, _, length, _ = heads.shape
    merged = heads.transpose(0, 2, 1, 3).reshape(batch, length, d_model)
    return _project(merged, weights.w_o, weights.b_o), attention_weights


def model_attention_weights(model: Any, tokenizer: Any, text: str) -> tuple[list[str], Array]:
    """Tokens of `text` and the attention weights of every layer and head of a Hugging Face model.

    The default SDPA attention returns no weights, so the model is switched to eager attention
    first. Returns (tokens, weights of shape (layers, heads, T, T)) for a batch of one.
    """
    import torch

    if getattr(model.config, "_attn_implementation", "eager") != "eager":
        model.set_attn_implementation("eager")
    encoded = tokenizer(text, return_tensors="pt")
    model.eval()
    with torch.no_grad():
        output = model(**encoded, output_attentions=True)
    if not output.attentions:
        raise RuntimeError(f"{type(model).__name__} returned no attention weights")
    stacked = np.stack([as_float64(layer[0]) for layer in output.attentions])
    tokens = tokenizer.convert_ids_to_tokens(encoded["input_ids"][0].tolist())
    return list(tokens), stacked


# Stand-ins (grader/checks/carry.py): run in the student's kernel in place of a function found
# wrong, so that what is built on it is judged on its own. Self-contained (their imports inside),
# of the students' signatures, numpy in numpy out, torch in torch out.


def softmax_stand_in(x: Any, axis: int = -1, dim: int | None = None) -> Any:
    """A stable softmax along `axis` (or torch's `dim`), of the input's kind."""
    if hasattr(x, "detach"):
        import torch

        return torch.softmax(x, dim=axis if dim is None else dim)
    import numpy

    values = numpy.asarray(x, dtype=float)
    shifted = numpy.exp(values - numpy.max(values, axis=axis, keepdims=True))
    return shifted / numpy.sum(shifted, axis=axis, keepdims=True)


def attention_stand_in(q: Any, k: Any, v: Any, mask: Any = None) -> tuple[Any, Any]:
    """(output, weights) of softmax(Q Kᵀ / √d_k) V, `mask` True where attention is allowed."""
    import math

    if hasattr(q, "detach"):
        import torch

        scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
        if mask is not None:
            allowed = torch.as_tensor(mask, dtype=torch.bool, device=scores.device)
            scores = scores.masked_fill(~allowed, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return weights @ v, weights
    import numpy

    q, k, v = (numpy.asarray(a, dtype=float) for a in (q, k, v))
    scores = q @ numpy.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = numpy.where(numpy.asarray(mask, dtype=bool), scores, -numpy.inf)
    shifted = numpy.exp(scores - numpy.max(scores, axis=-1, keepdims=True))
    weights = shifted / numpy.sum(shifted, axis=-1, keepdims=True)
    return weights @ v, weights
