"""The real GPT-2 and MiniLM tokenizers, offline, against their published ids."""

from __future__ import annotations

import pytest

from grader.errors import GraderError
from grader.references.tokenization import (
    gpt2_tokenizer,
    minilm_tokenizer,
    package_dir,
    token_statistics,
)


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("Hello world", [15496, 995]),  # the example of every GPT-2 tutorial
        ("<|endoftext|>", [50256]),
        ("##", [2235]),  # merges that start with "#", as Markdown headings do
        ("#" * 32, [29113]),
    ],
)
def test_gpt2_tokenizer_gives_the_published_ids(text: str, ids: list[int]) -> None:
    assert gpt2_tokenizer()(text)["input_ids"] == ids


def test_gpt2_tokenizer_is_byte_level_and_reversible() -> None:
    tokenizer = gpt2_tokenizer()
    assert len(tokenizer) == 50257
    assert tokenizer.tokenize(" internationalisation") == ["Ġinternational", "isation"]
    text = "Les modèles de langage internationaux"
    assert tokenizer.decode(tokenizer(text)["input_ids"]) == text


def test_minilm_is_wordpiece_with_the_bert_vocabulary() -> None:
    tokenizer = minilm_tokenizer()
    assert tokenizer("hello world")["input_ids"] == [101, 7592, 2088, 102]  # [CLS] … [SEP]
    pieces = tokenizer.tokenize("internationaux")
    assert len(pieces) > 1 and all(p.startswith("##") for p in pieces[1:])


def test_token_statistics_by_hand() -> None:
    stats = token_statistics("Hello world", gpt2_tokenizer())
    assert (stats.words, stats.tokens, stats.tokens_per_word) == (2, 2, 1.0)
    assert (stats.split_words, stats.max_tokens_in_word) == (0, 1)


@pytest.mark.parametrize("tokenizer", [gpt2_tokenizer, minilm_tokenizer], ids=["gpt2", "minilm"])
def test_token_statistics_per_word_add_up(tokenizer: object) -> None:
    text = "Les modèles de langage internationaux découpent « internationalisation »."
    stats = token_statistics(text, tokenizer())  # type: ignore[operator]
    assert stats.words == 9  # « and ». count as words: they stand between spaces
    # both tokenizers split on spaces first, so the words' tokens add up to the text's
    assert sum(count for _, count in stats.tokens_by_word) == stats.tokens
    assert stats.tokens > stats.words
    assert stats.split_words == sum(count > 1 for _, count in stats.tokens_by_word)


def test_missing_package_says_how_to_install_it() -> None:
    with pytest.raises(GraderError, match="pip install no-such-package-xyz"):
        package_dir("no-such-package-xyz")
