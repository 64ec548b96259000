"""Byte-pair encoding: the course's character-level trainer and GPT-2's byte-level variant.

The course's convention (the tp-tokenisation assignment states it to students): words are split
on whitespace, characters are the initial symbols, there is no end-of-word marker, pair counts are
weighted by word frequency, ties go to the lexicographically greatest pair, and a new word is
encoded by applying the merges in the order they were learned.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise

import regex  # type: ignore[import-untyped,unused-ignore]

Merge = tuple[str, str]
Symbols = tuple[str, ...]

# GPT-2's pre-tokenisation: contractions, letters, digits, other symbols, each with an optional
# leading space, then runs of whitespace.
GPT2_PRETOKENIZE = regex.compile(
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
)


def merge_pair(symbols: Symbols, pair: Merge) -> Symbols:
    """Replace every occurrence of `pair` in `symbols` by its concatenation, left to right."""
    first, second = pair
    merged: list[str] = []
    i = 0
    while i < len(symbols):
        if i + 1 < len(symbols) and symbols[i] == first and symbols[i + 1] == second:
            merged.append(first + second)
            i += 2
        else:
            merged.append(symbols[i])
            i += 1
    return tuple(merged)


def pair_counts(words: Mapping[Symbols, int]) -> Counter[Merge]:
    """Adjacent symbol pairs, each counted once per occurrence times the word's frequency."""
    counts: Counter[Merge] = Counter()
    for symbols, frequency in words.items():
        for pair in pairwise(symbols):
            counts[pair] += frequency
    return counts


def learn_merges(
    words: Mapping[Symbols, int],
    num_merges: int,
    order: Callable[[str], str | bytes] = str,
) -> list[Merge]:
    """The BPE loop: merge the most frequent pair `num_merges` times.

    Ties go to the greatest pair: by first symbol, then second, each compared through `order`
    (by default the string itself, code point by code point, so "é" > "z" > "a").

    Stops early when no word has two symbols left.
    """
    if num_merges < 0:
        raise ValueError(f"num_merges must be >= 0, got {num_merges}")
    current: Counter[Symbols] = Counter(words)
    merges: list[Merge] = []
    for _ in range(num_merges):
        counts = pair_counts(current)
        if not counts:
            break
        best = max(counts, key=lambda pair: (counts[pair], order(pair[0]), order(pair[1])))
        merges.append(best)
        updated: Counter[Symbols] = Counter()
        for symbols, frequency in current.items():
            updated[merge_pair(symbols, best)] += frequency
        current = updated
    return merges


def train_bpe(text: str, num_merges: int) -> list[Merge]:
    """The course's BPE trainer: whitespace-split words, characters as initial symbols."""
    words = Counter(tuple(word) for word in text.split())
    return learn_merges(words, num_merges)


def bpe_tokenize(word: str, merges: Iterable[Merge]) -> list[str]:
    """Encode a (possibly unseen) word by applying the learned merges in their learned order."""
    symbols: Symbols = tuple(word)
    for pair in merges:
        symbols = merge_pair(symbols, pair)
    return list(symbols)


def merge_by_rank(symbols: Symbols, ranks: Mapping[Merge, int]) -> Symbols:
    """Apply merges lowest rank first, as GPT-2's encoder does.

    Gives the same tokens as `bpe_tokenize` for merges produced by a BPE trainer, since a merge
    can only use symbols created by earlier merges; it is faster with a large merge table.
    """
    while len(symbols) > 1:
        pairs = set(pairwise(symbols))
        best = min(pairs, key=lambda pair: ranks.get(pair, len(ranks)))
        if best not in ranks:
            break
        symbols = merge_pair(symbols, best)
    return symbols


@cache
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible map from each byte to a printable character.

    Printable Latin-1 bytes stand for themselves; the others (controls, space, ...) are shifted
    to code points from 256 upwards, in byte order. A space therefore shows as 'Ġ' (U+0120).
    """
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    mapping = {byte: chr(byte) for byte in printable}
    shifted = 0
    for byte in range(256):
        if byte not in mapping:
            mapping[byte] = chr(256 + shifted)
            shifted += 1
    return mapping


def to_byte_symbols(piece: str) -> Symbols:
    table = bytes_to_unicode()
    return tuple(table[byte] for byte in piece.encode("utf-8"))


@cache
def _unicode_to_bytes() -> dict[str, int]:
    return {char: byte for byte, char in bytes_to_unicode().items()}


def underlying_bytes(symbol: str) -> bytes:
    """The bytes a symbol of GPT-2's printable stand-ins is made of: "Ġt" -> b" t"."""
    byte_of = _unicode_to_bytes()
    return bytes(byte_of[char] for char in symbol)


def _split_special(text: str, special_tokens: tuple[str, ...]) -> list[tuple[str, bool]]:
    """Chunks of `text`, each flagged True when it is one of the special tokens."""
    if not special_tokens:
        return [(text, False)]
    # Longest first, so that "<|endoftext|>" wins over a special token that is its prefix.
    pattern = "|".join(re.escape(token) for token in sorted(special_tokens, key=len, reverse=True))
    chunks: list[tuple[str, bool]] = []
    position = 0
    for found in re.finditer(pattern, text):
        if found.start() > position:
            chunks.append((text[position : found.start()], False))
        chunks.append((found.group(), True))
        position = found.end()
    if position < len(text):
        chunks.append((text[position:], False))
    return chunks


@dataclass(frozen=True)
class ByteLevelBPE:
    """A GPT-2-style tokenizer: byte symbols, GPT-2's pre-tokenisation, merges, special tokens.

    Vocabulary ids: the 256 byte symbols in byte order, then one per merge in learned order, then
    the special tokens (GPT-2 likewise puts <|endoftext|> last).
    """

    merges: tuple[Merge, ...]
    special_tokens: tuple[str, ...] = ()
    ranks: dict[Merge, int] = field(init=False, repr=False, compare=False)
    vocab: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        vocab: dict[str, int] = {}
        symbols = [bytes_to_unicode()[byte] for byte in range(256)]
        symbols += [first + second for first, second in self.merges]
        symbols += list(self.special_tokens)
        for symbol in symbols:
            vocab.setdefault(symbol, len(vocab))
        object.__setattr__(self, "ranks", {pair: rank for rank, pair in enumerate(self.merges)})
        object.__setattr__(self, "vocab", vocab)

    def tokenize(self, text: str) -> list[str]:
        tokens: list[str] = []
        for chunk, special in _split_special(text, self.special_tokens):
            if special:
                tokens.append(chunk)
                continue
            for piece in GPT2_PRETOKENIZE.findall(chunk):
                tokens.extend(merge_by_rank(to_byte_symbols(piece), self.ranks))
        return tokens

    def encode(self, text: str) -> list[int]:
        return [self.vocab[token] for token in self.tokenize(text)]

    def decode(self, ids: Iterable[int]) -> str:
        by_id = {index: token for token, index in self.vocab.items()}
        byte_of = _unicode_to_bytes()
        out = bytearray()
        for index in ids:
            token = by_id[index]
            if token in self.special_tokens:
                out.extend(token.encode("utf-8"))
            else:
                out.extend(byte_of[char] for char in token)
        return out.decode("utf-8", errors="replace")


def train_byte_bpe(text: str, num_merges: int, special_tokens: Iterable[str] = ()) -> ByteLevelBPE:
    """GPT-2's variant of the trainer: bytes as initial symbols, GPT-2's pre-tokenisation.

    Special tokens are cut out of the text first: they are never split nor merged with anything.
    Ties go to the greatest pair comparing the underlying bytes, as byte-level trainers do, not
    the printable stand-ins: a space (0x20, shown "Ġ" U+0120) sorts before "t", not after.
    """
    specials = tuple(dict.fromkeys(special_tokens))
    pieces: Counter[Symbols] = Counter()
    for chunk, special in _split_special(text, specials):
        if not special:
            pieces.update(to_byte_symbols(piece) for piece in GPT2_PRETOKENIZE.findall(chunk))
    return ByteLevelBPE(tuple(learn_merges(pieces, num_merges, underlying_bytes)), specials)
