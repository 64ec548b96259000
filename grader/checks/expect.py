"""Expectations for checks: compare an untrusted value with the reference, in French.

Each raises CheckFailed with a message that says what came back, what was expected and where,
and a redacted form for hidden checks: what is wrong and where, never the expected value nor a
number it can be derived from (a difference, an expected shape, length or total). A value of
the wrong kind (not an array, a tuple of the wrong length) raises BadReturn: the check cannot
judge it.

Figures (`axes`, `figure`, `plotted`, `view`) come from grader.checks.expect_figures; `trend`,
`slope`, `at_least` and `at_most` below judge noisy numbers by their properties, never exact values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from grader.checks.api import CheckFailed
from grader.checks.expect_figures import axes as axes
from grader.checks.expect_figures import figure as figure
from grader.checks.expect_figures import plotted as plotted
from grader.checks.expect_figures import view as view
from grader.checks.probe import ProbedArray, ProbeError, Unsupported
from grader.checks.static import forbidden_uses
from grader.messages import Message, say
from grader.report.sections import array_comparison, attention_heatmaps, token_alignment


class BadReturn(ProbeError):
    """The student's function returned something of the wrong kind."""


def _kind(value: Any) -> Message:
    if isinstance(value, Unsupported):
        return say("kind.object", type=value.type_name)
    if isinstance(value, np.ndarray):
        return say("kind.array", shape=str(tuple(value.shape)))
    names = {
        tuple: "kind.tuple",
        list: "kind.list",
        dict: "kind.dict",
        str: "kind.str",
        bool: "kind.bool",
        int: "kind.int",
        float: "kind.float",
        type(None): "kind.none",
    }
    key = names.get(type(value))
    return say(key) if key else say("kind.other", type=type(value).__name__)


def _fmt(x: Any) -> float | str:
    """A value in a message: a real number is formatted in the reader's language, the rest is
    its repr."""
    if isinstance(x, float | np.floating):
        return float(x)
    return repr(x.item() if isinstance(x, np.generic) else x)


def _where(what: str, index: tuple[int, ...]) -> Message:
    return say("place.element", what=what, index=", ".join(str(i) for i in index))


def array(value: Any, what: str) -> np.ndarray:
    """The value as a numeric array, or BadReturn if it is not one (numpy array or tensor)."""
    if isinstance(value, bool | int | float) and not isinstance(value, bool):
        return np.asarray(value, dtype=np.float64)
    if not isinstance(value, np.ndarray):
        raise BadReturn(say("expect.not_array", what=what, got=_kind(value)))
    return np.asarray(value)


def numbers(value: Any, what: str) -> np.ndarray:
    """A number, a list or tuple of numbers, or a real array, as a flat float64 array."""
    if isinstance(value, list | tuple):
        try:
            value = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise BadReturn(say("expect.not_array", what=what, got=_kind(value))) from None
    values = array(value, what)
    if values.dtype.kind not in "biuf":
        raise BadReturn(say("expect.not_real", what=what, dtype=str(values.dtype)))
    return values.astype(np.float64).ravel()


def parts(value: Any, count: int, what: str) -> tuple[Any, ...]:
    """A tuple (or list) of exactly `count` items, e.g. `(output, weights)`."""
    if not isinstance(value, tuple | list) or len(value) != count:
        raise BadReturn(say("expect.not_tuple", what=what, count=count, got=_kind(value)))
    return tuple(value)


def shape(got: Any, expected: tuple[int, ...], what: str) -> None:
    actual = tuple(array(got, what).shape)
    if actual != tuple(expected):
        raise CheckFailed(
            say("expect.shape", what=what, got=str(actual), expected=str(tuple(expected))),
            redacted=say("expect.shape_hidden", what=what, got=str(actual)),
        )


def dtype(got: Any, kind: str, what: str) -> None:
    """`kind` as numpy's dtype kinds: "b" boolean, "i" integer, "f" real, "iu" any integer."""
    actual = array(got, what).dtype
    if actual.kind not in kind:
        kinds = dict.fromkeys(kind.replace("u", "i"))  # "iu": integer, said once
        names = [say(f"dtype.{k}") if k in "bifc" else say("dtype.other", kind=k) for k in kinds]
        wanted = say("join.or", items=names)
        raise CheckFailed(say("expect.dtype", what=what, got=str(actual), expected=wanted))


def torch_tensor(got: Any, what: str) -> None:
    """The value was a torch tensor in the kernel (for torch inputs, torch outputs)."""
    if not (isinstance(got, ProbedArray) and got.from_torch):
        raise CheckFailed(say("expect.not_torch", what=what, got=_kind(got)))


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
        raise CheckFailed(say("expect.not_real", what=what, dtype=str(values.dtype)))
    values = values.astype(np.float64)
    if tokens is not None:
        view = attention_heatmaps(values, reference, what, tokens)
    else:
        view = array_comparison(values, reference, what, rtol, atol)
    if np.isnan(values).any() and not np.isnan(reference).any():
        index = tuple(int(i) for i in np.argwhere(np.isnan(values))[0])
        place: Message | str = _where(what, index) if values.ndim else what
        raise CheckFailed(
            say("expect.nan", place=place, expected=_fmt(reference[index])),
            redacted=say("expect.nan_hidden", place=place),
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
        got_x, want_x = _fmt(values[index]), _fmt(reference[index])
        place = _where(what, index) if excess.ndim else what
        if excess.size > 1:
            wrong, total = int((excess > 0).sum()), int(excess.size)
            raise CheckFailed(
                say(
                    "expect.off_many",
                    place=place,
                    got=got_x,
                    expected=want_x,
                    wrong=wrong,
                    total=total,
                ),
                redacted=say(
                    "expect.off_many_hidden", place=place, got=got_x, wrong=wrong, total=total
                ),
                section=view,
            )
        raise CheckFailed(
            say("expect.off", place=place, got=got_x, expected=want_x),
            redacted=say("expect.off_hidden", place=place, got=got_x),
            section=view,
        )


def sums_to(got: Any, total: float, what: str, axis: int = -1, atol: float = 1e-6) -> None:
    """Every slice along `axis` sums to `total` (rows of attention weights sum to 1)."""
    values = array(got, what).astype(np.float64)
    sums = values.sum(axis=axis)
    bad = np.abs(sums - total) > atol
    if np.any(bad):
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        row = str(index[0] if len(index) == 1 else list(index))
        found = _fmt(sums[index])
        raise CheckFailed(
            say("expect.sum", what=what, row=row, sum=found, expected=float(total)),
            redacted=say("expect.sum_hidden", what=what, row=row, sum=found),
        )


def equal(got: Any, expected: Any, what: str) -> None:
    """Exactly equal (tokens, merges, ids, booleans); lists name the first difference."""
    if isinstance(expected, np.ndarray) or isinstance(got, np.ndarray):
        reference = np.asarray(expected)
        values = array(got, what)
        shape(values, reference.shape, what)
        different = values != reference
        if np.any(different):
            index = tuple(int(i) for i in np.argwhere(different)[0])
            place, mine = _where(what, index), _fmt(values[index])
            raise CheckFailed(
                say("expect.unequal", place=place, got=mine, expected=_fmt(reference[index])),
                redacted=say("expect.unequal_hidden", place=place, got=mine),
            )
        return
    if isinstance(expected, list | tuple):
        got_items = list(parts(got, len(got), what)) if isinstance(got, list | tuple) else None
        if got_items is None:
            raise BadReturn(say("expect.not_list", what=what, got=_kind(got)))
        texts = all(isinstance(item, str) for item in [*got_items, *expected])
        view = token_alignment(got_items, list(expected), what) if texts else None
        for position, (mine, theirs) in enumerate(zip(got_items, expected, strict=False)):
            if _normalise(mine) != _normalise(theirs):
                place = say("place.position", what=what, position=position)
                raise CheckFailed(
                    say("expect.unequal", place=place, got=repr(mine), expected=repr(theirs)),
                    redacted=say("expect.unequal_hidden", place=place, got=repr(mine)),
                    section=view,
                )
        if len(got_items) != len(expected):
            raise CheckFailed(
                say("expect.length", what=what, got=len(got_items), expected=len(expected)),
                redacted=say("expect.length_hidden", what=what, got=len(got_items)),
                section=view,
            )
        return
    if _normalise(got) != _normalise(expected):
        raise CheckFailed(
            say("expect.unequal", place=what, got=repr(got), expected=repr(expected)),
            redacted=say("expect.unequal_hidden", place=what, got=repr(got)),
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
        said = [_use_message(*use, targets, what) for use, targets in uses.items()]
        raise CheckFailed(said[0] if len(said) == 1 else say("join.clauses", items=said))


CODE_SHOWN = 80  # characters of the student's code quoted in a message at most


def _use_message(
    chain: tuple[str, ...], code: str, dynamic: bool, targets: list[str], what: str | None
) -> Message:
    """« `attention` appelle `_aide`, qui appelle `F.scaled_dot_product_attention` »."""
    code = code if len(code) <= CODE_SHOWN else code[: CODE_SHOWN - 1] + "…"
    leaves = _names([target.split(".")[-1] for target in targets])
    if not code:
        return say("static.unanalysable", names=leaves)
    if not chain:
        return say("static.runtime_code", code=code, names=leaves)
    path: Message | str = what or f"`{chain[0]}`"
    for position, name in enumerate(chain[1:]):
        key = "static.path_first" if position == 0 else "static.path_next"
        path = say(key, path=path, name=f"`{name}`")
    subject = say("static.which", path=path) if len(chain) > 1 else path
    if dynamic:
        return say("static.dynamic", subject=subject, code=code, names=leaves)
    if any(code.endswith(target.split(".")[-1]) for target in targets):
        return say("static.calls", subject=subject, code=code)
    return say("static.calls_alias", subject=subject, code=code, names=_names(targets))


def _names(names: list[str]) -> str:
    return ", ".join(f"`{name}`" for name in names)


def trend(x: Any, y: Any, what: str, *, increasing: bool = True, at_least: float = 0.8) -> None:
    """`y` rises (or falls) with `x`: Spearman's rank correlation at least `at_least` (or at most
    its opposite). Ranks, not values: noise that keeps the order is no failure."""
    from scipy.stats import spearmanr

    xs, ys = numbers(x, what), numbers(y, what)
    if xs.shape != ys.shape or xs.size < 2 or not np.isfinite(ys).all():
        raise CheckFailed(say("trend.unusable", what=what))
    rho = float(spearmanr(xs, ys).statistic) if np.ptp(ys) > 0 else 0.0
    if (rho if increasing else -rho) < at_least:
        key = "trend.not_increasing" if increasing else "trend.not_decreasing"
        raise CheckFailed(say(key, what=what, rho=round(rho, 2)))


def slope(x: Any, y: Any, what: str, *, low: float, high: float) -> float:
    """The slope of log y against log x (least squares) lies in [low, high]; returned."""
    xs, ys = numbers(x, what), numbers(y, what)
    if xs.shape != ys.shape or xs.size < 2 or not (xs > 0).all() or not (ys > 0).all():
        raise CheckFailed(say("slope.unusable", what=what))
    fitted = float(np.polyfit(np.log(xs), np.log(ys), 1)[0])
    if not low <= fitted <= high:
        raise CheckFailed(
            say("slope.outside", what=what, got=round(fitted, 2), low=float(low), high=float(high)),
            redacted=say("slope.outside_hidden", what=what, got=round(fitted, 2)),
        )
    return fitted


def at_least(got: Any, floor: float, what: str) -> None:
    """A number at least `floor` (an accuracy on hidden data); NaN is below every floor."""
    value = _number(got, what)
    if not value >= floor:
        raise CheckFailed(
            say("bound.below", what=what, got=value, floor=float(floor)),
            redacted=say("bound.below_hidden", what=what, got=value),
        )


def at_most(got: Any, ceiling: float, what: str) -> None:
    """A number at most `ceiling` (an accuracy on flipped labels); NaN is above every one."""
    value = _number(got, what)
    if not value <= ceiling:
        raise CheckFailed(
            say("bound.above", what=what, got=value, ceiling=float(ceiling)),
            redacted=say("bound.above_hidden", what=what, got=value),
        )


def _number(got: Any, what: str) -> float:
    values = numbers(got, what)
    if values.size != 1:
        raise BadReturn(say("expect.not_number", what=what, got=_kind(got)))
    return float(values[0])
