"""Word-overlap metrics as promptfoo computes them, so its users get the same verdicts here.

promptfoo's `rouge-n` is js-rouge's ROUGE-N recall: Penn Treebank tokens, case-sensitive, the
*distinct* candidate n-grams found in the reference divided by the reference's n-gram count.
Its `bleu`, `gleu` and `meteor` lower-case and split on whitespace (GLEU and METEOR also drop
trailing full stops). METEOR's synonym stage needs WordNet, an English download: here it is
left out, and the stem stage uses a Snowball stemmer of the chosen language.

grader's own French-aware F-measure is `rouge-f1` (grader.bench.text.rouge_n).
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

_TREEBANK_SPLITS = (
    (re.compile(r"\.{3}"), " ... "),
    (re.compile(r"[:,](?!\d)"), r" \g<0> "),
    (re.compile(r"[;@#$%&]"), r" \g<0> "),
    (re.compile(r"([^.])(\.)([\])}>'\s]*)$"), r"\1 \2\3 "),  # the sentence's final stop
    (re.compile(r"[?!]"), r" \g<0> "),
    (re.compile(r"[\][(){}<>]"), r" \g<0> "),
    (re.compile(r"--"), " -- "),
)
_TREEBANK_CLITICS = (
    (re.compile(r"([^'])' "), r"\1 ' "),
    (re.compile(r"'([sSmMdD]) "), r" '\1 "),
    (re.compile(r"('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "), r" \1 "),
    (re.compile(r"(?i) (can)(not) "), r" \1 \2 "),
    (re.compile(r"(?i) (gim|lem)(me) "), r" \1 \2 "),
    (re.compile(r"(?i) (gon|wan)(na) "), r" \1 \2 "),
    (re.compile(r"(?i) (got)(ta) "), r" \1 \2 "),
    (re.compile(r"(?i) ('t)(is|was) "), r" \1 \2 "),
)
_QUOTE = re.compile(r'"')


def treebank_words(text: str) -> list[str]:
    """Penn Treebank tokens as js-rouge makes them: punctuation split off, case kept."""
    text = " ".join(text.split())
    if not text:
        return []
    opened = False

    def quote(match: re.Match[str]) -> str:
        nonlocal opened
        start = match.start()
        opened = not opened and (start == 0 or text[start - 1] in " ([{<")
        return " `` " if opened else " '' "

    text = _QUOTE.sub(quote, text)
    for pattern, replacement in _TREEBANK_SPLITS:
        text = pattern.sub(replacement, text)
    text = f" {text} "
    for pattern, replacement in _TREEBANK_CLITICS:
        text = pattern.sub(replacement, text)
    return text.split()


def _ngrams(words: Sequence[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]


def rouge_recall(candidate: str, reference: str, n: int = 1) -> float:
    """js-rouge's `n`: distinct candidate n-grams present in the reference / reference n-grams."""
    reference_grams = _ngrams(treebank_words(reference), n)
    if not reference_grams:
        return 0.0
    shared = set(_ngrams(treebank_words(candidate), n)) & set(reference_grams)
    return len(shared) / len(reference_grams)


def _spaced_words(text: str) -> list[str]:
    return text.lower().split()


def bleu(candidate: str, references: Sequence[str]) -> float:
    """promptfoo's sentence BLEU: 1-4-gram clipped precisions (best reference for each order),
    a zero precision smoothed to 1e-7, the brevity penalty against the closest reference length."""
    words = _spaced_words(candidate)
    if not words:
        return 0.0
    lengths = [len(_spaced_words(r)) for r in references]
    closest = lengths[0]
    for length in lengths[1:]:
        if abs(length - len(words)) < abs(closest - len(words)):
            closest = length
    log_sum = 0.0
    for n in range(1, 5):
        grams = Counter(_ngrams(words, n))
        total = sum(grams.values())
        clipped = max(
            sum((grams & Counter(_ngrams(_spaced_words(r), n))).values()) for r in references
        )
        precision = clipped / total if total else 0.0
        log_sum += 0.25 * math.log(precision or 1e-7)
    penalty = 1.0 if len(words) > closest else math.exp(1 - len(words) / max(closest, 1))
    return penalty * math.exp(log_sum)


def _stopless_words(text: str) -> list[str]:
    return [re.sub(r"\.+$", "", word) for word in text.lower().split()]


def gleu(candidate: str, references: Sequence[str]) -> float:
    """promptfoo's GLEU: min(precision, recall) of all 1-4-grams together, best reference."""
    words = _stopless_words(candidate)
    if not words:
        return 0.0
    return max(_gleu_one(words, _stopless_words(reference)) for reference in references)


def _gleu_one(words: list[str], reference: list[str]) -> float:
    if words == reference:
        return 1.0
    matched = produced = expected = 0
    for n in range(1, 5):
        got, want = Counter(_ngrams(words, n)), Counter(_ngrams(reference, n))
        matched += sum((got & want).values())
        produced += sum(got.values())
        expected += sum(want.values())
    if not produced or not expected:
        return 0.0
    return min(matched / produced, matched / expected)


@lru_cache(maxsize=8)
def _stemmer(language: str) -> Any:
    import snowballstemmer  # type: ignore[import-untyped]

    return snowballstemmer.stemmer(language)


@lru_cache(maxsize=1 << 16)
def _stem(language: str, word: str) -> str:
    return str(_stemmer(language).stemWord(word))


def meteor(
    candidate: str,
    references: Sequence[str],
    language: str = "english",
    alpha: float = 0.9,
    beta: float = 3.0,
    gamma: float = 0.5,
) -> float:
    """METEOR (Lavie & Agarwal 2007) as promptfoo and NLTK align it: exact matches, then stem
    matches, each word paired from the end; F-mean penalised by the fragmentation."""
    words = [re.sub(r"\.+$", "", w) for w in candidate.split()]
    if not any(words):
        return 0.0
    return max(
        _meteor_one(
            [w.lower() for w in words],
            [re.sub(r"\.+$", "", w).lower() for w in reference.split()],
            language,
            (alpha, beta, gamma),
        )
        for reference in references
    )


def _meteor_one(
    candidate: list[str], reference: list[str], language: str, params: tuple[float, float, float]
) -> float:
    alpha, beta, gamma = params
    left = list(enumerate(candidate))
    right = list(enumerate(reference))
    matches, left, right = _align(left, right, str)
    stemmed, _, _ = _align(left, right, lambda word: _stem(language, word))
    pairs = sorted(matches + stemmed)
    if not pairs or not candidate or not reference:
        return 0.0
    precision, recall = len(pairs) / len(candidate), len(pairs) / len(reference)
    fmean = precision * recall / (alpha * precision + (1 - alpha) * recall)
    chunks = 1 + sum(1 for (a, b), (c, d) in itertools.pairwise(pairs) if (c, d) != (a + 1, b + 1))
    penalty: float = gamma * (chunks / len(pairs)) ** beta
    return (1 - penalty) * fmean


def _align(
    left: list[tuple[int, str]], right: list[tuple[int, str]], key: Callable[[str], str]
) -> tuple[list[tuple[int, int]], list[tuple[int, str]], list[tuple[int, str]]]:
    """Pair words equal under `key`, each once: from the candidate's last word back, each with
    the last unpaired reference word of the same key (the order promptfoo and NLTK scan in)."""
    waiting: dict[str, list[int]] = {}
    for j, (_, word) in enumerate(right):
        waiting.setdefault(key(word), []).append(j)
    pairs, paired_left, paired_right = [], set(), set()
    for i in range(len(left) - 1, -1, -1):
        stack = waiting.get(key(left[i][1]))
        if stack:
            j = stack.pop()
            pairs.append((left[i][0], right[j][0]))
            paired_left.add(i)
            paired_right.add(j)
    return (
        pairs,
        [item for i, item in enumerate(left) if i not in paired_left],
        [item for j, item in enumerate(right) if j not in paired_right],
    )
