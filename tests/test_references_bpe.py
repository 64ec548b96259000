"""BPE references against hand-computed merges, a second (string-based) trainer, Hugging Face
tokenizers' BPE model, and the real GPT-2 tokenizer."""

from __future__ import annotations

import re
from collections import Counter
from itertools import pairwise

import numpy as np
import pytest
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers.convert_slow_tokenizer import bytes_to_unicode as transformers_bytes_to_unicode

from grader.references.bpe import (
    GPT2_PRETOKENIZE,
    ByteLevelBPE,
    bpe_tokenize,
    bytes_to_unicode,
    merge_by_rank,
    train_bpe,
    train_byte_bpe,
    underlying_bytes,
)
from grader.references.tokenization import gpt2_merges, gpt2_tokenizer

# The classic toy corpus: low ×5, lower ×2, newest ×6, widest ×3.
TOY = " ".join(["low"] * 5 + ["lower"] * 2 + ["newest"] * 6 + ["widest"] * 3)


def test_first_merges_of_the_toy_corpus_computed_by_hand() -> None:
    # 1: e-s and s-t both 9 (newest 6 + widest 3): the greatest pair (s, t) wins the tie.
    # 2: e-st 9.  3: l-o and o-w both 7: (o, w) wins.  4: l-ow 7.
    assert train_bpe(TOY, 4) == [("s", "t"), ("e", "st"), ("o", "w"), ("l", "ow")]


@pytest.mark.parametrize(
    ("text", "num_merges", "merges"),
    [
        ("ab ba", 1, [("b", "a")]),  # tie between (a, b) and (b, a): the greatest pair
        ("ab ab ab cd", 1, [("a", "b")]),  # counts weighted by word frequency
        ("ab ba", 3, [("b", "a"), ("a", "b")]),  # no pair across words (no (b, b) from "ab ba")
        ("a b c", 5, []),  # nothing to merge: stops early
        ("aaa", 2, [("a", "a"), ("aa", "a")]),  # overlapping pairs counted twice, merged once
        ("", 3, []),
    ],
)
def test_train_bpe_convention(text: str, num_merges: int, merges: list[tuple[str, str]]) -> None:
    assert train_bpe(text, num_merges) == merges


def _train_bpe_on_strings(text: str, num_merges: int) -> list[tuple[str, str]]:
    """Second implementation: words as space-separated symbols, merged with a regex."""
    vocab = Counter(" ".join(word) for word in text.split())
    merges: list[tuple[str, str]] = []
    for _ in range(num_merges):
        pairs: Counter[tuple[str, str]] = Counter()
        for word, freq in vocab.items():
            symbols = word.split(" ")
            for i in range(len(symbols) - 1):
                pairs[symbols[i], symbols[i + 1]] += freq
        if not pairs:
            break
        top = max(pairs.values())
        best = sorted(pair for pair, count in pairs.items() if count == top)[-1]
        pattern = re.compile(r"(?<!\S)" + re.escape(" ".join(best)) + r"(?!\S)")
        vocab = Counter({pattern.sub("".join(best), w): f for w, f in vocab.items()})
        merges.append(best)
    return merges


def _random_text(rng: np.random.Generator, words: int, alphabet: str = "abcdeé") -> str:
    return " ".join(
        "".join(rng.choice(list(alphabet), size=rng.integers(1, 8))) for _ in range(words)
    )


@pytest.mark.parametrize("seed", range(6))
def test_train_bpe_matches_a_second_implementation(seed: int) -> None:
    text = _random_text(np.random.default_rng(seed), 60)
    assert train_bpe(text, 40) == _train_bpe_on_strings(text, 40)


def _hf_bpe(merges: list[tuple[str, str]], alphabet: str) -> Tokenizer:
    vocab: dict[str, int] = {}
    for symbol in [*alphabet, *("".join(pair) for pair in merges)]:
        vocab.setdefault(symbol, len(vocab))
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return tokenizer


@pytest.mark.parametrize("seed", range(4))
def test_bpe_tokenize_of_new_words_matches_huggingface_bpe(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    merges = train_bpe(_random_text(rng, 80, "abcd"), 30)
    reference = _hf_bpe(merges, "abcd")
    ranks = {pair: rank for rank, pair in enumerate(merges)}
    for word in _random_text(rng, 40, "abcd").split():
        tokens = bpe_tokenize(word, merges)
        assert "".join(tokens) == word
        assert tokens == reference.encode(word).tokens
        assert list(merge_by_rank(tuple(word), ranks)) == tokens


def test_bpe_tokenize_of_an_unseen_word() -> None:
    merges = train_bpe(TOY, 10)
    assert bpe_tokenize("lowest", merges) == ["low", "est"]
    assert bpe_tokenize("newer", merges) == ["ne", "w", "e", "r"]


def test_bytes_to_unicode_is_gpt2s_table() -> None:
    assert bytes_to_unicode() == transformers_bytes_to_unicode()
    assert set(bytes_to_unicode().values()) == set(pre_tokenizers.ByteLevel.alphabet())
    assert bytes_to_unicode()[ord(" ")] == "Ġ"


FRENCH = (
    "Les modèles de langage internationaux apprennent l'internationalisation. "
    "Il n'y a pas d'été sans soleil : 2024 fut chaud,  très chaud !\n\nÇa va ?"
)


def test_byte_level_encoder_with_gpt2_merges_matches_the_real_tokenizer() -> None:
    tokenizer = ByteLevelBPE(tuple(gpt2_merges()), ("<|endoftext|>",))
    text = FRENCH + "<|endoftext|>Hello world"
    assert tokenizer.tokenize(text) == gpt2_tokenizer().tokenize(text)
    assert tokenizer.decode(tokenizer.encode(text)) == text


def test_byte_level_training_with_special_tokens() -> None:
    text = ("<|endoftext|>le chat " * 20) + "<sep> la chatte"
    bpe = train_byte_bpe(text, 12, special_tokens=["<|endoftext|>", "<sep>"])
    learned = {"".join(pair) for pair in bpe.merges}
    assert not any("<" in token or "|" in token for token in learned)  # specials never merged
    tokens = bpe.tokenize("<sep>le chat<|endoftext|>")
    assert tokens[0] == "<sep>" and tokens[-1] == "<|endoftext|>"
    assert bpe.vocab["<|endoftext|>"] == 256 + len(bpe.merges)
    assert bpe.decode(bpe.encode("un été <sep>")) == "un été <sep>"


def test_byte_level_merges_encode_like_huggingface_byte_level_bpe() -> None:
    bpe = train_byte_bpe(FRENCH * 3, 60)
    reference = Tokenizer(models.BPE(vocab=bpe.vocab, merges=list(bpe.merges)))
    reference.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    reference.decoder = decoders.ByteLevel()
    new_text = "Les langages modèles : l'été internationaux !"
    assert bpe.tokenize(new_text) == reference.encode(new_text).tokens
    assert bpe.encode(new_text) == reference.encode(new_text).ids


def test_byte_level_ties_compare_the_underlying_bytes() -> None:
    # "at" and " a" each occur once. In bytes, (a, t) > (space, a); in GPT-2's stand-ins the
    # space is "Ġ" (U+0120), which sorts after "a": the stand-ins would pick (Ġ, a).
    assert train_byte_bpe("at a", 1).merges == (("a", "t"),)
    assert train_byte_bpe("at a", 2).merges == (("a", "t"), ("Ġ", "a"))


def _train_on_bytes(text: str, num_merges: int) -> list[tuple[bytes, bytes]]:
    """Second byte-level trainer working on the bytes themselves, never on stand-ins."""
    pieces = Counter(
        tuple(bytes([b]) for b in piece.encode()) for piece in GPT2_PRETOKENIZE.findall(text)
    )
    merges: list[tuple[bytes, bytes]] = []
    for _ in range(num_merges):
        pairs: Counter[tuple[bytes, bytes]] = Counter()
        for symbols, frequency in pieces.items():
            for pair in pairwise(symbols):
                pairs[pair] += frequency
        if not pairs:
            break
        best = max(pairs, key=lambda pair: (pairs[pair], pair))
        merges.append(best)
        updated: Counter[tuple[bytes, ...]] = Counter()
        for symbols, frequency in pieces.items():
            updated[tuple(_merge_bytes(symbols, best))] += frequency
        pieces = updated
    return merges


def _merge_bytes(symbols: tuple[bytes, ...], pair: tuple[bytes, bytes]) -> list[bytes]:
    merged: list[bytes] = []
    i = 0
    while i < len(symbols):
        if symbols[i : i + 2] == pair:
            merged.append(pair[0] + pair[1])
            i += 2
        else:
            merged.append(symbols[i])
            i += 1
    return merged


@pytest.mark.parametrize("seed", range(4))
def test_byte_level_training_matches_a_trainer_on_bytes(seed: int) -> None:
    text = _random_text(np.random.default_rng(200 + seed), 60, "ab é\xff")
    merges = train_byte_bpe(text, 30).merges
    expected = _train_on_bytes(text, 30)
    assert [(underlying_bytes(a), underlying_bytes(b)) for a, b in merges] == expected
