"""Expectations for checks: compare an untrusted value with the reference, in French.

Each raises CheckFailed with a message that says what came back, what was expected and where,
and a redacted form for hidden checks: what is wrong and where, never the expected value nor a
number it can be derived from (a difference, an expected shape, length or total). A value of
the wrong kind (not an array, a tuple of the wrong length) raises BadReturn: the check cannot
judge it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from grader.checks.api import CheckFailed
from grader.checks.probe import ProbedArray, ProbeError, Unsupported
from grader.checks.static import forbidden_uses
from grader.report.sections import array_comparison, attention_heatmaps, token_alignment


class BadReturn(ProbeError):
    """The student's function returned something of the wrong kind."""


def _kind(value: Any) -> str:
    if isinstance(value, Unsupported):
        return f"un objet {value.type_name}"
    if isinstance(value, np.ndarray):
        return f"un tableau de forme {tuple(value.shape)}"
    names = {
        tuple: "un tuple",
        list: "une liste",
        dict: "un dictionnaire",
        str: "un texte",
        bool: "un booléen",
        int: "un entier",
        float: "un réel",
        type(None): "None",
    }
    return names.get(type(value), type(value).__name__)


def _fmt(x: Any) -> str:
    if isinstance(x, float | np.floating):
        return f"{float(x):.4g}"
    return repr(x.item() if isinstance(x, np.generic) else x)


def _where(index: tuple[int, ...]) -> str:
    return f"élément [{', '.join(str(i) for i in index)}]"


def array(value: Any, what: str) -> np.ndarray:
    """The value as a numeric array, or BadReturn if it is not one (numpy array or tensor)."""
    if isinstance(value, bool | int | float) and not isinstance(value, bool):
        return np.asarray(value, dtype=np.float64)
    if not isinstance(value, np.ndarray):
        raise BadReturn(f"{what} : un tableau numpy ou un tenseur est attendu, reçu {_kind(value)}")
    return np.asarray(value)


def parts(value: Any, count: int, what: str) -> tuple[Any, ...]:
    """A tuple (or list) of exactly `count` items, e.g. `(output, weights)`."""
    if not isinstance(value, tuple | list) or len(value) != count:
        raise BadReturn(f"{what} : un tuple de {count} éléments est attendu, reçu {_kind(value)}")
    return tuple(value)


def shape(got: Any, expected: tuple[int, ...], what: str) -> None:
    actual = tuple(array(got, what).shape)
    if actual != tuple(expected):
        raise CheckFailed(
            f"{what} : forme {actual}, attendu {tuple(expected)}",
            redacted=f"{what} : la forme {actual} n'est pas la bonne",
        )


def dtype(got: Any, kind: str, what: str) -> None:
    """`kind` as numpy's dtype kinds: "b" boolean, "i" integer, "f" real, "iu" any integer."""
    names = {"b": "booléen", "i": "entier", "u": "entier", "f": "réel", "c": "complexe"}
    actual = array(got, what).dtype
    if actual.kind not in kind:
        wanted = " ou ".join(dict.fromkeys(names.get(k, k) for k in kind))
        raise CheckFailed(f"{what} : type {actual}, attendu un type {wanted}")


def torch_tensor(got: Any, what: str) -> None:
    """The value was a torch tensor in the kernel (for torch inputs, torch outputs)."""
    if not (isinstance(got, ProbedArray) and got.from_torch):
        raise CheckFailed(
            f"{what} : un tenseur torch est attendu pour des entrées torch, reçu {_kind(got)}"
        )


def close(
    got: Any,
    expected: Any,
    what: str,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    tokens: Sequence[str] | None = None,
) -> None:
    """Same shape and values within tolerance; the message points at the worst element.

    A failure carries a view for the report: the cells around the worst one side by side, or,
    with `tokens` (attention weights between these tokens), both heatmaps side by side.
    """
    reference = np.asarray(expected, dtype=np.float64)
    values = array(got, what)
    shape(values, reference.shape, what)
    if values.dtype.kind not in "biuf":
        raise CheckFailed(f"{what} : des nombres réels sont attendus, reçu le type {values.dtype}")
    values = values.astype(np.float64)
    if tokens is not None:
        view = attention_heatmaps(values, reference, what, tokens)
    else:
        view = array_comparison(values, reference, what, rtol, atol)
    if np.isnan(values).any() and not np.isnan(reference).any():
        index = tuple(int(i) for i in np.argwhere(np.isnan(values))[0])
        place = f"{what}, {_where(index)}" if values.ndim else what
        raise CheckFailed(
            f"{place} : NaN, attendu {_fmt(reference[index])}",
            redacted=f"{place} : NaN au lieu d'un nombre",
            section=view,
        )
    with np.errstate(invalid="ignore"):  # inf - inf: handled just below
        excess = np.abs(values - reference) - (atol + rtol * np.abs(reference))
    excess = np.where(np.isnan(excess), 0.0, excess)
    both_inf = np.isinf(values) & np.isinf(reference) & (np.sign(values) == np.sign(reference))
    one_inf = (np.isinf(values) | np.isinf(reference)) & ~both_inf  # e.g. -inf vs a number
    excess = np.where(both_inf, 0.0, np.where(one_inf, np.inf, excess))
    if (excess > 0).any():
        index = tuple(int(i) for i in np.unravel_index(int(np.argmax(excess)), excess.shape))
        got_x, want_x = values[index], reference[index]
        wrong = int((excess > 0).sum())
        count = f" ({wrong} valeurs sur {excess.size} hors tolérance)" if excess.size > 1 else ""
        place = f"{what}, {_where(index)}" if excess.ndim else what
        raise CheckFailed(
            f"{place} : {_fmt(got_x)}, attendu {_fmt(want_x)}{count}",
            redacted=f"{place} : {_fmt(got_x)} est hors tolérance{count}",
            section=view,
        )


def sums_to(got: Any, total: float, what: str, axis: int = -1, atol: float = 1e-6) -> None:
    """Every slice along `axis` sums to `total` (rows of attention weights sum to 1)."""
    values = array(got, what).astype(np.float64)
    sums = values.sum(axis=axis)
    bad = np.abs(sums - total) > atol
    if np.any(bad):
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        row = index[0] if len(index) == 1 else list(index)
        place = f"{what}, ligne {row} : somme {_fmt(sums[index])}"
        raise CheckFailed(f"{place}, attendu {total:g}", redacted=f"{place}, ce n'est pas la bonne")


def equal(got: Any, expected: Any, what: str) -> None:
    """Exactly equal (tokens, merges, ids, booleans); lists name the first difference."""
    if isinstance(expected, np.ndarray) or isinstance(got, np.ndarray):
        reference = np.asarray(expected)
        values = array(got, what)
        shape(values, reference.shape, what)
        different = values != reference
        if np.any(different):
            index = tuple(int(i) for i in np.argwhere(different)[0])
            place, mine = f"{what}, {_where(index)}", _fmt(values[index])
            raise CheckFailed(
                f"{place} : {mine}, attendu {_fmt(reference[index])}",
                redacted=f"{place} : {mine} est incorrect",
            )
        return
    if isinstance(expected, list | tuple):
        got_items = list(parts(got, len(got), what)) if isinstance(got, list | tuple) else None
        if got_items is None:
            raise BadReturn(f"{what} : une liste est attendue, reçu {_kind(got)}")
        texts = all(isinstance(item, str) for item in [*got_items, *expected])
        view = token_alignment(got_items, list(expected), what) if texts else None
        for position, (mine, theirs) in enumerate(zip(got_items, expected, strict=False)):
            if _normalise(mine) != _normalise(theirs):
                raise CheckFailed(
                    f"{what}, position {position} : {mine!r}, attendu {theirs!r}",
                    redacted=f"{what}, position {position} : {mine!r} est incorrect",
                    section=view,
                )
        if len(got_items) != len(expected):
            raise CheckFailed(
                f"{what} : {len(got_items)} éléments, attendu {len(expected)}",
                redacted=f"{what} : {len(got_items)} éléments, ce n'est pas le bon nombre",
                section=view,
            )
        return
    if _normalise(got) != _normalise(expected):
        raise CheckFailed(
            f"{what} : {got!r}, attendu {expected!r}", redacted=f"{what} : {got!r} est incorrect"
        )


def _normalise(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_normalise(v) for v in value)
    if isinstance(value, np.ndarray):
        return tuple(value.tolist()) if value.ndim else value.item()
    return value


def no_library_call(nb: Any, function: str, forbidden: list[str], what: str | None = None) -> None:
    """Static: the student's `function` must not use the library version it reimplements.

    Anywhere it can reach counts (helpers, classes, aliases...): see grader.checks.static.
    """
    uses: dict[tuple[tuple[str, ...], str, bool], list[str]] = {}
    for use in forbidden_uses(nb.source, function, forbidden):
        uses.setdefault((use.chain, use.code, use.dynamic), []).append(use.target)
    if uses:
        raise CheckFailed(
            " ; ".join(_use_message(*use, targets, what) for use, targets in uses.items())
        )


CODE_SHOWN = 80  # characters of the student's code quoted in a message at most


def _use_message(
    chain: tuple[str, ...], code: str, dynamic: bool, targets: list[str], what: str | None
) -> str:
    """« `attention` appelle `_aide`, qui appelle `F.scaled_dot_product_attention` »."""
    code = code if len(code) <= CODE_SHOWN else code[: CODE_SHOWN - 1] + "…"
    leaves = [target.split(".")[-1] for target in targets]
    doubt = f" : compté comme un appel à {_names(leaves)}, que l'analyse ne peut pas exclure"
    if not code:
        return f"le code du notebook est trop volumineux ou trop imbriqué pour être analysé{doubt}"
    if not chain:
        return f"le notebook exécute du code connu seulement à l'exécution (`{code}`){doubt}"
    names = [what or f"`{chain[0]}`", *(f"`{name}`" for name in chain[1:])]
    path = names[0] + "".join(
        f"{' appelle' if position == 0 else ', qui appelle'} {name}"
        for position, name in enumerate(names[1:])
    )
    path += ", qui" if len(names) > 1 else ""
    if dynamic:
        return f"{path} accède dynamiquement à `{code}`{doubt}"
    if any(code.endswith(leaf) for leaf in leaves):
        return f"{path} appelle `{code}` au lieu de l'implémenter"
    return f"{path} appelle `{code}` (c'est-à-dire {_names(targets)}) au lieu de l'implémenter"


def _names(names: list[str]) -> str:
    return ", ".join(f"`{name}`" for name in names)
