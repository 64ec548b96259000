"""Checks of tp-classification (Expérience 8): zero-shot classification by a causal LM against a
TF-IDF + logistic regression classifier, on the bundled French sentiment set.

The zero-shot model is the mirror's random-weight GPT-2 stand-in, so its accuracy is what it
is: the checks grade the method. The prompt is built from the text (grader-chosen texts), the
class is parsed from the answer (grader-chosen answers), the answer is greedy decoding (compared
with the reference on the stand-in), the chain holds together, and each accuracy is recomputed
here from the student's predictions and the right labels (dev's, read from the assignment's
own copy). The classifier must have seen the training texts only: its vocabulary is compared
with the words of train.csv, which catches labels or evaluation texts leaked into it. Its test
predictions are scored on labels that stay in hidden/, never copied next to a submission.
"""

import csv
import unicodedata
from functools import lru_cache
from pathlib import Path

from grader.checks import CheckFailed, check, expect, reference
from grader.references.decoding import greedy_decode
from grader.references.tokenization import gpt2_tokenizer

HERE = Path(__file__).resolve().parent
CLASSES = ("positif", "négatif")
NB_JETONS = 3
MIN_TEST = 0.7  # accuracy on the hidden test labels (the solution: 0.875)
MIN_REENTRAINEMENT = 0.7  # retrained on 80 % of train (the solution: 0.82 to 0.9)
# Texts of the prompt checks: nothing like the data set, so a prompt cannot be a lookup.
OBJETS = ("Le train de 8 h 12", "Mon voisin", "La météo de demain", "Ce tableau", "Le match")
SUITES = ("arrive à l'heure", "parle fort", "annonce de la pluie", "est accroché au mur", "a lieu")
# Answers of the parsing checks: (answer, expected class).
REPONSES = (
    (" positif", "positif"),
    (" Négatif.", "négatif"),
    ("C'est POSITIF !", "positif"),
    (" negatif, sans doute", "négatif"),
    (" je ne sais pas", None),
    ("", None),
    (" négatif plutôt que positif", "négatif"),
)
AVANT = ("", " ", "\n", " Réponse :", " Je dirais", " Sentiment :")
APRES = ("", ".", " !", "\n\nAvis suivant", " (à mon avis)")


def _read(name):
    with open(HERE / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _plain(text):
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _accuracy(labels, predicted):
    return sum(label == p for label, p in zip(labels, predicted, strict=True)) / len(labels)


def _reported_accuracy(nb, name, dev, predicted, compared, hint=""):
    """The notebook's variable `name` must be the accuracy of `predicted` on dev."""
    reported = nb.get(name)
    expected = _accuracy([row["label"] for row in dev], predicted)
    if not isinstance(reported, int | float) or abs(reported - expected) > 1e-9:
        raise CheckFailed(
            f"`{name}` = {reported!r}, mais {compared} aux étiquettes de dev donnent "
            f"{expected:.3f}{hint}"
        )


def _text(value, what):
    if not isinstance(value, str):
        raise CheckFailed(f"{what} : attendu un texte, reçu {type(value).__name__}")
    return value


def _labels(value, what, count, allow_none):
    if not isinstance(value, list | tuple) or len(value) != count:
        raise CheckFailed(f"`{what}` : attendu une liste de {count} classes")
    allowed = (*CLASSES, None) if allow_none else CLASSES
    for position, label in enumerate(value):
        if label not in allowed:
            raise CheckFailed(
                f"`{what}`[{position}] : {label!r}, attendu « positif » ou « négatif »"
                + (" (ou None)" if allow_none else "")
            )
    return list(value)


def _random_texts(rng, count):
    picks = rng.permutation(len(OBJETS))[:count]
    return [f"{OBJETS[i]} {SUITES[int(rng.integers(len(SUITES)))]}." for i in picks]


@check("prompt.texte")
def prompt_holds_the_text(nb, rng):
    texts = _random_texts(rng, 3)
    prompts = [_text(nb.call("construire_prompt", t), f"construire_prompt({t!r})") for t in texts]
    for text, prompt in zip(texts, prompts, strict=True):
        if text not in prompt:
            raise CheckFailed(
                f"construire_prompt({text!r}) : le prompt ne contient pas le texte de l'avis"
            )
        missing = [c for c in CLASSES if _plain(c) not in _plain(prompt)]
        if missing:
            raise CheckFailed(
                f"construire_prompt({text!r}) : le prompt ne nomme pas la classe « {missing[0]} »"
            )


def _require_parsing(nb, answer, expected):
    got = nb.call("extraire_classe", answer)
    if got != expected:
        raise CheckFailed(f"extraire_classe({answer!r}) : {got!r}, attendu {expected!r}")


@check("parsing.exemples")
def parsing_examples(nb, rng):
    for answer, expected in REPONSES:
        _require_parsing(nb, answer, expected)


@check("parsing.variantes", hidden=True)
def parsing_variants(nb, rng):
    for _ in range(6):
        label = CLASSES[int(rng.integers(2))]
        shape = int(rng.integers(4))
        word = (label, label.upper(), label.capitalize(), _plain(label))[shape]
        before, after = AVANT[int(rng.integers(len(AVANT)))], APRES[int(rng.integers(len(APRES)))]
        _require_parsing(nb, f"{before} {word}{after}", label)
    _require_parsing(nb, str(rng.choice(["Je ne sais pas.", " ???", " neutre"])), None)


@lru_cache(maxsize=1)
def _stand_in_model():
    from grader.mirror.standins import tiny_gpt2

    return tiny_gpt2()


@reference  # once per grading run and prompt
def reference_answer(prompt: str) -> str:
    tokenizer = gpt2_tokenizer()
    decoded = greedy_decode(_stand_in_model(), tokenizer, prompt, NB_JETONS)
    return str(tokenizer.decode(list(decoded.new_ids), skip_special_tokens=True))


@check("zeroshot.reponse", hidden=True)
def greedy_answer(nb, rng):
    text = _random_texts(rng, 1)[0]
    prompt = _text(nb.call("construire_prompt", text), "construire_prompt(texte)")
    answer = _text(nb.call("repondre", prompt), "repondre(prompt)")
    if nb.call("repondre", prompt) != answer:
        raise CheckFailed(
            "repondre(prompt) : deux appels donnent deux réponses (décodage glouton ?)"
        )
    if nb.run("getattr(modele_lm.config, 'grader_stand_in', None)") is None:
        return  # a real gpt2 (an instructor's cache): no reference in this process
    if answer != reference_answer(prompt):
        raise CheckFailed(
            f"repondre(prompt) : {answer!r}, attendu {reference_answer(prompt)!r} (décodage "
            f"glouton, {NB_JETONS} nouveaux jetons, sans le prompt)",
            redacted=(
                f"repondre(prompt) : {answer!r} n'est pas la suite gloutonne de {NB_JETONS} "
                "jetons, sans le prompt"
            ),
        )


@check("zeroshot.chaine")
def zero_shot_chain(nb, rng):
    texts = _random_texts(rng, 2)
    got = nb.call("classer_zero_shot", texts)
    expected = []
    for text in texts:
        prompt = _text(nb.call("construire_prompt", text), "construire_prompt(texte)")
        answer = _text(nb.call("repondre", prompt), "repondre(prompt)")
        expected.append(nb.call("extraire_classe", answer))
    if list(got or []) != expected:
        raise CheckFailed(
            f"classer_zero_shot({texts!r}) : {got!r}, alors que "
            f"extraire_classe(repondre(construire_prompt(texte))) donne {expected!r}"
        )


@check("exactitude.fonction")
def accuracy_function(nb, rng):
    count = int(rng.integers(5, 12))
    labels = [CLASSES[int(i)] for i in rng.integers(0, 2, size=count)]
    predicted = [(*CLASSES, None)[int(i)] for i in rng.integers(0, 3, size=count)]
    predicted[0] = None  # None is always wrong
    expect.close(
        nb.call("exactitude", labels, predicted),
        _accuracy(labels, predicted),
        what=f"exactitude(vraies, predites) sur {count} prédictions dont des None",
    )


@check("zeroshot.exactitude")
def zero_shot_accuracy(nb, rng):
    dev = _read("donnees/dev.csv")
    predicted = _labels(nb.get("predictions_zero_shot"), "predictions_zero_shot", len(dev), True)
    _reported_accuracy(nb, "acc_zero_shot", dev, predicted, "`predictions_zero_shot` comparées")


@check("tfidf.exactitude")
def classifier_accuracy(nb, rng):
    dev = _read("donnees/dev.csv")
    source = "[str(p) for p in modele.predict(textes)]"
    predicted = nb.run(source, textes=[row["texte"] for row in dev])
    predicted = _labels(predicted, "modele.predict(textes_dev)", len(dev), False)
    _reported_accuracy(
        nb,
        "acc_tfidf",
        dev,
        predicted,
        "les prédictions de `modele` sur dev comparées",
        " (exactitude mesurée sur d'autres données ?)",
    )


@check("tfidf.fuite")
def no_leak_into_the_classifier(nb, rng):
    source = (
        "_tfidf = modele.steps[0][1]\n"
        "_vus = {m for t in textes for m in _tfidf.build_analyzer()(t)}\n"
        "sorted(set(_tfidf.vocabulary_) - _vus)"
    )
    texts = [row["texte"] for row in _read("donnees/train.csv")]
    unseen = nb.run(source, textes=texts)
    if not isinstance(unseen, list):
        raise CheckFailed("`modele` : attendu un Pipeline dont la première étape est un TF-IDF")
    labels = [word for word in unseen if _plain(word) in {_plain(c) for c in CLASSES}]
    if labels:
        raise CheckFailed(
            f"`modele` : son vocabulaire contient « {labels[0]} » : les étiquettes sont entrées "
            "dans les textes donnés au classifieur"
        )
    if unseen:
        raise CheckFailed(
            f"`modele` : son vocabulaire contient {len(unseen)} mot(s) absent(s) des textes "
            f"d'entraînement (par exemple « {unseen[0]} ») : il a été entraîné sur d'autres "
            "données que `train` (dev ou test)"
        )


def _hidden_test():
    labels = {row["id"]: row["label"] for row in _read("hidden/test_labels.csv")}
    test = _read("donnees/test.csv")
    return [row["texte"] for row in test], [labels[row["id"]] for row in test]


@check("tfidf.test", hidden=True)
def test_predictions(nb, rng):
    texts, labels = _hidden_test()
    predicted = _labels(nb.get("predictions_test"), "predictions_test", len(texts), False)
    score = _accuracy(labels, predicted)
    if score < MIN_TEST:
        raise CheckFailed(
            f"`predictions_test` : exactitude {score:.2f} sur le test caché, sous {MIN_TEST}"
        )


@check("tfidf.reentrainement", hidden=True)
def retrained_on_grader_data(nb, rng):
    train = _read("donnees/train.csv")
    kept = sorted(rng.choice(len(train), size=len(train) * 4 // 5, replace=False).tolist())
    texts, labels = _hidden_test()
    predicted = nb.run(
        "[str(p) for p in entrainer_classifieur(t, e).predict(x)]",
        t=[train[i]["texte"] for i in kept],
        e=[train[i]["label"] for i in kept],
        x=texts,
    )
    predicted = _labels(predicted, "entrainer_classifieur(...).predict(textes)", len(texts), False)
    score = _accuracy(labels, predicted)
    if score < MIN_REENTRAINEMENT:
        raise CheckFailed(
            f"entrainer_classifieur sur 80 % de train : exactitude {score:.2f} sur le test "
            f"caché, sous {MIN_REENTRAINEMENT}"
        )
