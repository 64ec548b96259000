"""Text comparisons that respect French: normalisation for `equals`, words kept whole for ROUGE.

rouge-score's default tokenizer keeps only [a-z0-9], which cuts "réponse" into "r" and "ponse";
the tokenizer here keeps accented words, hyphenated words and "aujourd'hui" whole, and splits
an elided article ("l'apprentissage" -> "l'", "apprentissage").
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass

NORMALISATIONS = ("case", "accents", "punctuation", "whitespace")

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE"})
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "‘": "'"})
_SPACES = re.compile(r"\s+")
_TOKEN = re.compile(
    r"\b(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|quoiqu)'(?=[^\W_])"  # elided article or pronoun
    r"|\d+(?:[.,]\d+)*"  # 3,5 and 1.000 stay one number
    r"|[^\W\d_][^\W_]*(?:['-][^\W_]+)*",  # words, with inner hyphens and apostrophes
    re.IGNORECASE,
)


def normalise(text: str, ignore: Collection[str] = NORMALISATIONS) -> str:
    """The text with case, accents, punctuation and/or extra whitespace removed."""
    if "case" in ignore:
        text = text.casefold()
    if "accents" in ignore:
        decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
        text = "".join(char for char in decomposed if not unicodedata.combining(char))
    if "punctuation" in ignore:
        text = "".join(
            " " if unicodedata.category(char)[0] in "PS" else char
            for char in text.translate(_APOSTROPHES)
        )
    if "whitespace" in ignore:
        text = _SPACES.sub(" ", text).strip()
    return text


def french_words(text: str) -> list[str]:
    """Lower-cased words, French ones kept whole: "L'apprentissage, c'est déjà ça" ->
    ["l'", "apprentissage", "c'", "est", "déjà", "ça"]."""
    return _TOKEN.findall(text.casefold().translate(_APOSTROPHES))


@dataclass(frozen=True)
class Overlap:
    precision: float
    recall: float
    f1: float


def rouge_n(candidate: str, reference: str, n: int = 1) -> Overlap:
    """ROUGE-N: shared word n-grams (counted with multiplicity) between candidate and reference."""
    got = _ngrams(french_words(candidate), n)
    want = _ngrams(french_words(reference), n)
    shared = sum((got & want).values())
    precision = shared / sum(got.values()) if got else 0.0
    recall = shared / sum(want.values()) if want else 0.0
    total = precision + recall
    return Overlap(precision, recall, 2 * precision * recall / total if total else 0.0)


def _ngrams(words: list[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
