"""A synthetic class of tp-attention for the similarity tests and benchmark.

Nine students write softmax, the attention and the multi-head module each in one of three
independent styles, chosen so that two students share at most one of the three (student (a, b)
writes function f in style (a + f * b) mod 3); the cells every correct notebook holds come from
the examples (examples/submissions/tp-attention); each student adds an experiment of their own.
`disguised` is a copy as a student hides one: names changed, cells reordered, new comments.
"""

from __future__ import annotations

import dataclasses
import io
import random
import re
import tokenize
from pathlib import Path

import nbformat

from grader.assignment.load import load_assignment
from grader.assignment.release import template_notebook
from grader.gradebook.store import Gradebook
from grader.similarity.tokens import KEPT_NAMES
from tests.conftest import EXAMPLES, TP_ATTENTION
from tests.report_builders import make_report

SOFTMAX = (
    """def softmax(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    exp = np.exp(shifted)
    return exp / np.sum(exp, axis=axis, keepdims=True)""",
    """def softmax(x, axis=-1):
    x = np.asarray(x, dtype=float)
    m = x.max(axis=axis, keepdims=True)
    e = np.exp(x - m)
    total = e.sum(axis=axis, keepdims=True)
    out = e / total
    return out""",
    """def softmax(x, axis=-1):
    z = np.moveaxis(np.asarray(x, dtype=float), axis, -1)
    z = z - z.max(-1)[..., None]
    log_norm = np.log(np.exp(z).sum(-1))[..., None]
    probabilities = np.exp(z - log_norm)
    return np.moveaxis(probabilities, -1, axis)""",
)
ATTENTION = (
    """def scaled_dot_product_attention(Q, K, V, mask=None):
    d_k = Q.shape[-1]
    if isinstance(Q, torch.Tensor):
        scores = Q @ K.transpose(-2, -1) / math.sqrt(d_k)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return weights @ V, weights
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(d_k)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    weights = softmax(scores, axis=-1)
    return weights @ V, weights""",
    """def scaled_dot_product_attention(Q, K, V, mask=None):
    is_torch = torch.is_tensor(Q)
    if is_torch:
        q, k, v = Q.double(), K.double(), V.double()
        raw = torch.matmul(q, k.transpose(-1, -2)) / q.size(-1) ** 0.5
        if mask is not None:
            raw = torch.where(mask, raw, torch.full_like(raw, -1e30))
        attn = torch.nn.functional.softmax(raw, dim=-1)
        return torch.matmul(attn, v).to(Q.dtype), attn.to(Q.dtype)
    raw = np.einsum("...id,...jd->...ij", Q, K) / Q.shape[-1] ** 0.5
    if mask is not None:
        raw = np.where(mask, raw, -1e30)
    attn = softmax(raw)
    return np.einsum("...ij,...jd->...id", attn, V), attn""",
    """def scaled_dot_product_attention(Q, K, V, mask=None):
    lib = torch if isinstance(Q, torch.Tensor) else np
    scale = 1.0 / math.sqrt(Q.shape[-1])
    logits = lib.matmul(Q, K.transpose(-2, -1) if lib is torch else np.swapaxes(K, -2, -1)) * scale
    if mask is not None:
        blocked = ~mask if lib is torch else np.logical_not(mask)
        logits = logits.masked_fill(blocked, -math.inf) if lib is torch else np.where(blocked, -np.inf, logits)
    if lib is torch:
        probs = logits.softmax(-1)
    else:
        probs = softmax(logits, axis=-1)
    context = lib.matmul(probs, V)
    return context, probs""",
)
MULTI_HEAD = (
    """class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, num_heads):
        super().__init__()
        if d_model % num_heads:
            raise ValueError("d_model doit être divisible par num_heads")
        self.num_heads = num_heads
        self.d_head = d_model // num_heads
        self.W_q = nn.Linear(d_model, d_model)
        self.W_k = nn.Linear(d_model, d_model)
        self.W_v = nn.Linear(d_model, d_model)
        self.W_o = nn.Linear(d_model, d_model)

    def forward(self, x, mask=None):
        batch, T, d_model = x.shape

        def split(projected):
            return projected.view(batch, T, self.num_heads, self.d_head).transpose(1, 2)

        q, k, v = split(self.W_q(x)), split(self.W_k(x)), split(self.W_v(x))
        heads, weights = scaled_dot_product_attention(q, k, v, mask)
        merged = heads.transpose(1, 2).reshape(batch, T, d_model)
        return self.W_o(merged), weights""",
    """class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, num_heads):
        super().__init__()
        assert d_model % num_heads == 0
        self.h = num_heads
        self.dk = d_model // num_heads
        self.W_q, self.W_k, self.W_v, self.W_o = (nn.Linear(d_model, d_model) for _ in range(4))

    def forward(self, x, mask=None):
        B, L, D = x.size()
        outputs = []
        all_weights = []
        for head in range(self.h):
            cols = slice(head * self.dk, (head + 1) * self.dk)
            q = self.W_q(x)[..., cols]
            k = self.W_k(x)[..., cols]
            v = self.W_v(x)[..., cols]
            out, w = scaled_dot_product_attention(q, k, v, mask)
            outputs.append(out)
            all_weights.append(w)
        concat = torch.cat(outputs, dim=-1)
        return self.W_o(concat), torch.stack(all_weights, dim=1)""",
    """class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, num_heads):
        super().__init__()
        if d_model % num_heads != 0:
            raise ValueError(f"{d_model} n'est pas divisible par {num_heads}")
        self.n_heads, self.size = num_heads, d_model // num_heads
        self.W_q = nn.Linear(d_model, d_model)
        self.W_k = nn.Linear(d_model, d_model)
        self.W_v = nn.Linear(d_model, d_model)
        self.W_o = nn.Linear(d_model, d_model)

    def _heads(self, t):
        n, length, _ = t.shape
        return t.reshape(n, length, self.n_heads, self.size).permute(0, 2, 1, 3)

    def forward(self, x, mask=None):
        n, length, width = x.shape
        queries = self._heads(self.W_q(x))
        keys = self._heads(self.W_k(x))
        values = self._heads(self.W_v(x))
        context, weights = scaled_dot_product_attention(queries, keys, values, mask)
        context = context.permute(0, 2, 1, 3).contiguous().view(n, length, width)
        return self.W_o(context), weights""",
)
EXPERIMENTS = (
    """longueurs = [4, 8, 16, 32]
for n in longueurs:
    masque = causal_mask(n)
    print(n, masque.sum(), masque.sum() / n**2)""",
    """temperatures = np.linspace(0.1, 5.0, 6)
for temp in temperatures:
    p = softmax(np.array([2.0, 1.0, 0.1]) / temp)
    entropie = -(p * np.log(p)).sum()
    print(f"T={temp:.1f} H={entropie:.3f}")""",
    """rng = np.random.default_rng(7)
X = rng.normal(size=(5, 4))
_, w_plein = scaled_dot_product_attention(X, X, X)
_, w_causal = scaled_dot_product_attention(X, X, X, causal_mask(5))
ecart = np.abs(w_plein - w_causal).max()
print("écart maximal", ecart)""",
    """modele = MultiHeadAttention(16, 4)
nb_params = sum(p.numel() for p in modele.parameters())
print("paramètres :", nb_params)
with torch.no_grad():
    y, w = modele(torch.ones(2, 3, 16))
print(y.mean().item(), w.shape)""",
    """diag = [attentions[c, t].diagonal().mean() for c in range(attentions.shape[0]) for t in range(attentions.shape[1])]
meilleure = int(np.argmax(diag))
print("tête la plus diagonale", divmod(meilleure, attentions.shape[1]), max(diag))""",
    """def entropie_ligne(w):
    w = np.clip(w, 1e-12, 1.0)
    return -(w * np.log(w)).sum(axis=-1)

moyennes = entropie_ligne(attentions).mean(axis=-1)
print(np.round(moyennes, 2))""",
    """cls = attentions[:, :, :, 0].mean(axis=-1)
plus_forte = np.unravel_index(cls.argmax(), cls.shape)
print("attention vers [CLS] la plus forte :", plus_forte, float(cls.max()))
sep = attentions[:, :, :, -1].mean()
print("vers [SEP] :", sep)""",
    """import time
debut = time.perf_counter()
for _ in range(100):
    scaled_dot_product_attention(Q, K, V)
duree = (time.perf_counter() - debut) / 100
print(f"{duree * 1e6:.1f} µs par appel")""",
    """voisins = {}
for i, jeton in enumerate(jetons):
    j = int(np.argmax(poids_tete[i]))
    voisins[jeton] = jetons[j]
for clef, valeur in list(voisins.items())[:8]:
    print(f"{clef:>12} -> {valeur}")""",
)
STUDENTS = ("alba", "boris", "cyril", "dalia", "elio", "fanny", "gaspard", "hanae", "igor")


def student_cells(number: int) -> dict[str, str]:
    """The cells student `number` (0..8) wrote, by the function they define (or 'experiment')."""
    a, b = divmod(number, 3)
    return {
        "def softmax": SOFTMAX[a % 3],
        "def scaled_dot_product_attention": ATTENTION[(a + b) % 3],
        "class MultiHeadAttention": MULTI_HEAD[(a + 2 * b) % 3],
        "experiment": EXPERIMENTS[number],
    }


def released_template() -> nbformat.NotebookNode:
    return template_notebook(load_assignment(TP_ATTENTION))


def class_notebook(cells: dict[str, str]) -> nbformat.NotebookNode:
    """The template filled in: the given cells, the examples' code for the other exercises."""
    notebook = released_template()
    example = nbformat.read(EXAMPLES / "alice.ipynb", as_version=4)
    for cell, solved in zip(notebook.cells, example.cells, strict=True):
        if cell.cell_type != "code" or "VOTRE CODE ICI" not in cell.source:
            continue
        own = next((code for start, code in cells.items() if cell.source.startswith(start)), None)
        cell.source = own if own is not None else solved.source
    notebook.cells.append(nbformat.v4.new_code_cell(cells["experiment"]))
    return notebook


def renamed(source: str, names: dict[str, str], keep: frozenset[str] = frozenset()) -> str:
    """`source` with each of its own names (not keywords, builtins, attributes or `keep`)
    renamed."""
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    out: list[tuple[int, str]] = []
    for previous, token in zip([None, *tokens], tokens, strict=False):
        text = token.string
        attribute = previous is not None and previous.string == "."
        if token.type == tokenize.NAME and text not in KEPT_NAMES | keep and not attribute:
            text = names.setdefault(text, f"{text}_{len(names)}x")
        out.append((token.type, text))
    return str(tokenize.untokenize(out))  # spaced anew: names longer than they were fit


def disguised(notebook: nbformat.NotebookNode, seed: int = 0) -> nbformat.NotebookNode:
    """A copy as one hides it: own names renamed, code cells shuffled, comments and blank lines."""
    copy = nbformat.from_dict(notebook)
    names: dict[str, str] = {}
    code = [cell for cell in copy.cells if cell.cell_type == "code"]
    for cell in code:
        text = renamed(cell.source, names)
        text = re.sub(r"\n", "\n\n", text, count=2)
        cell.source = f"# ma version, écrite seule\n{text}  # fin"
    order = list(range(len(code)))
    random.Random(seed).shuffle(order)
    places = [i for i, cell in enumerate(copy.cells) if cell.cell_type == "code"]
    for place, index in zip(places, order, strict=True):
        copy.cells[place] = code[index]
    return copy


def write_class(folder: Path) -> dict[str, Path]:
    """The nine students, `copieur` (boris disguised) and `vide` (the template itself)."""
    folder.mkdir(parents=True, exist_ok=True)
    notebooks = {name: class_notebook(student_cells(i)) for i, name in enumerate(STUDENTS)}
    notebooks["copieur"] = disguised(notebooks["boris"])
    notebooks["vide"] = released_template()
    paths = {}
    for name, notebook in notebooks.items():
        paths[name] = folder / f"{name}.ipynb"
        nbformat.write(notebook, paths[name])
    return paths


def graded_folder(out: Path, paths: dict[str, Path], assignment: str = "tp-attention") -> Path:
    """`out` as `grader grade` leaves it for these notebooks: a real gradebook naming each one."""
    gradebook = Gradebook(out / "gradebook.sqlite")
    try:
        run = gradebook.start_run(assignment, 0, "none", "TP attention")
        for student, path in paths.items():
            report = dataclasses.replace(make_report(student), assignment=assignment)
            gradebook.record(run, report, path)
    finally:
        gradebook.close()
    return out
