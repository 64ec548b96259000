"""French-aware normalisation and ROUGE words."""

from __future__ import annotations

import pytest

from grader.bench.text import french_words, normalise, rouge_n


@pytest.mark.parametrize(
    ("text", "ignore", "expected"),
    [
        ("  « La Réponse » :  l’apprentissage !", None, "la reponse l apprentissage"),
        ("Cœur ÉLÈVE", None, "coeur eleve"),
        ("Négatif.", ("case",), "négatif."),
        ("Négatif.", ("accents",), "Negatif."),
        ("Négatif.", ("punctuation",), "Négatif "),
        (" a \t b\n", ("whitespace",), "a b"),
        ("100 € ; 3,5 %", None, "100 3 5"),
    ],
)
def test_normalise(text: str, ignore: tuple[str, ...] | None, expected: str) -> None:
    got = normalise(text) if ignore is None else normalise(text, ignore)
    assert got == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("La réponse à côté, été élève", ["la", "réponse", "à", "côté", "été", "élève"]),
        ("L'apprentissage, c’est déjà ça", ["l'", "apprentissage", "c'", "est", "déjà", "ça"]),
        ("Aujourd'hui, peut-être", ["aujourd'hui", "peut-être"]),
        ("jusqu'à 3,5 kg qu'il porte", ["jusqu'", "à", "3,5", "kg", "qu'", "il", "porte"]),
        ("« Réponse » : POSITIF !", ["réponse", "positif"]),
    ],
)
def test_french_words_stay_whole(text: str, words: list[str]) -> None:
    assert french_words(text) == words


@pytest.mark.parametrize(
    ("candidate", "reference", "n", "precision", "recall"),
    [
        ("la réponse est positive", "La réponse positive", 1, 3 / 4, 1.0),
        ("la réponse est positive", "La réponse positive", 2, 1 / 3, 1 / 2),
        ("l'élève l'élève", "l'élève", 1, 2 / 4, 1.0),  # clipped counts
        ("réponse", "ponse", 1, 0.0, 0.0),  # no cutting of accented words
        ("", "réponse", 1, 0.0, 0.0),
    ],
)
def test_rouge_n(candidate: str, reference: str, n: int, precision: float, recall: float) -> None:
    overlap = rouge_n(candidate, reference, n)
    assert (overlap.precision, overlap.recall) == (pytest.approx(precision), pytest.approx(recall))
    total = precision + recall
    assert overlap.f1 == pytest.approx(2 * precision * recall / total if total else 0.0)
