"""The bounded decoder: a bomb is refused from its raw text before json.loads builds it, a long\ntext and an `.npy` header claiming a huge shape before they become values."""

from __future__ import annotations

import io
import json
import resource

import numpy as np
import pytest

from grader.checks.probe import decode_value, read_npy
from grader.sandbox.bounded import JsonLimits, TooLarge, bounded_unpacker, loads

LIMITS = JsonLimits(max_bytes=64 * 1024**2, max_values=1000, max_depth=16)


@pytest.mark.parametrize(
    "text",
    [
        '{"value": [1, 2.5, "a, [b] {c}", null, true, {"k": [[], {}]}]}',
        '"' + '\\"[,{' * 5000 + '"',  # brackets and commas inside a string are not values
        "[" * 16 + "]" * 16,
        json.dumps([list(range(10))] * 90),
    ],
)
def test_texts_within_the_limits_are_parsed_as_json_would(text: str) -> None:
    assert loads(text.encode(), LIMITS) == json.loads(text)


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("[" + "{}," * 20_000_000 + "{}]", "plus de 1 000 valeurs"),  # 60 MB of small dicts
        ("[" * 900 + "]" * 900, "plus de 16 niveaux d'imbrication"),
        ("[" + "1," * 5_000_000 + "1]", "plus de 1 000 valeurs"),
        ('"' + "x" * 65 * 1024**2 + '"', "65 Mio de texte"),
    ],
    ids=["small-dicts", "deep", "numbers", "long-string"],
)
def test_bombs_are_refused_before_any_value_is_built(text: str, what: str) -> None:
    raw = text.encode()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(TooLarge) as refused:
        loads(raw, LIMITS)
    assert refused.value.what.text() == what
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before  # KiB
    assert grown < 3 * len(raw) / 1024  # copies of the text, never its values


def test_the_limit_is_said_in_french() -> None:
    with pytest.raises(TooLarge) as refused:
        loads(b"[" * 17 + b"]" * 17, LIMITS)
    assert str(refused.value) == "plus de 16 niveaux d'imbrication (limite : 16 niveaux)"


@pytest.mark.parametrize(
    "text",
    [
        '["a", "unterminated',
        '"' + '\\"' * 1_000_000,
        "[1, 2",
        "[" * 20 + "]" * 3,
        "[" * 10 + "]" * 10_000_000,  # refused before the depth's passes over 10 MB
    ],
)
def test_malformed_texts_are_value_errors(text: str) -> None:
    with pytest.raises(ValueError):
        loads(text.encode(), LIMITS)


def test_the_session_unpacker_measures_then_hands_over_to_the_previous_one() -> None:
    seen: list[bytes] = []

    def previous(raw: bytes) -> object:
        seen.append(raw)
        return json.loads(raw)

    unpack = bounded_unpacker(previous, LIMITS)
    assert unpack(b'{"a": [1]}') == {"a": [1]} and seen == [b'{"a": [1]}']
    with pytest.raises(TooLarge):
        unpack(b"[" + b"{}," * 2000 + b"{}]")
    assert len(seen) == 1


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "array",
    [
        np.arange(12.0).reshape(3, 4),
        np.asfortranarray(np.arange(6, dtype=">i4").reshape(2, 3)),
        np.array(True),
        np.zeros((0, 5), dtype=np.complex64),
    ],
)
def test_arrays_are_read_as_np_load_would(array: np.ndarray) -> None:
    got = read_npy(npy(array), max_bytes=1024)
    np.testing.assert_array_equal(got, array)
    assert got.dtype == array.dtype and got.flags.writeable


def test_an_array_header_is_judged_before_anything_is_allocated() -> None:
    claimed = npy(np.zeros((2, 2))).replace(b"(2, 2)", b"(1000000000,)")
    with pytest.raises(TooLarge) as refused:
        read_npy(claimed, max_bytes=1024)
    assert str(refused.value) == (
        "un tableau de forme (1000000000,) (8 000 000 000 octets) (limite : 1 Kio)"
    )


@pytest.mark.parametrize(
    "raw",
    [
        npy(np.zeros(4))[:-8],  # less data than its shape
        npy(np.zeros(4)) + bytes(8),  # more
        npy(np.zeros((2, 2))).replace(b"(2, 2)", b"(-2, -2)"),
        npy(np.array(["a"])),  # text: not numbers
    ],
)
def test_arrays_that_do_not_match_their_header_are_value_errors(raw: bytes) -> None:
    with pytest.raises(ValueError):
        read_npy(raw, max_bytes=1024)


def test_a_long_text_is_too_large_wherever_it_is() -> None:
    with pytest.raises(TooLarge) as refused:
        decode_value({"__tuple__": [1, ["x" * 1_000_001]]})
    assert str(refused.value) == (
        "un texte de 1 000 001 caractères (limite : 1 000 000 caractères)"
    )
    assert decode_value(["x" * 1_000_000]) == ["x" * 1_000_000]
