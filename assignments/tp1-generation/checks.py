"""Checks of tp1-generation: the pipeline, the prompts and parameters, what generation returns.

The model is the offline mirror's "gpt2": the real tokenizer with a tiny random-weight
stand-in, so the texts mean nothing; what is checked is what does not depend on their meaning
(the pipeline built, the structure and lengths of the outputs, determinism with a seed) and,
when the kernel runs the stand-in, greedy decoding token for token against the reference.
The comment is graded by hand; its check only collects it for the instructor's report.
"""

from functools import lru_cache

from grader.checks import CheckFailed, check, expect, reference
from grader.references.decoding import greedy_decode
from grader.references.tokenization import gpt2_tokenizer
from grader.report.sections import student_text

PROMPT_KINDS = ("question", "completion", "instruction")
# Prompts of the hidden checks: each one is at least 8 GPT-2 tokens long.
HIDDEN_PROMPTS = (
    "Quelle langue parle-t-on au Québec, et depuis quand ?",
    "La recette de la tarte aux pommes commence par",
    "Résume en une phrase l'histoire du Petit Prince.",
    "Dans le train qui nous ramenait de Marseille, ma sœur",
    "Donne trois conseils pour bien dormir avant un examen.",
)
# Decoding then re-encoding a random token sequence may merge or split some tokens (bytes that
# are not UTF-8 come back as several): allow a few, and a fifth more on long texts.
LENGTH_SLACK = 4


def _tokens(text):
    return len(gpt2_tokenizer()(text)["input_ids"])


@lru_cache(maxsize=1)
def _stand_in_model():
    from grader.mirror.standins import tiny_gpt2

    return tiny_gpt2()


def _text(value, what):
    if not isinstance(value, str):
        raise CheckFailed(f"{what} : attendu un texte, reçu {type(value).__name__}")
    return value


@check("gen.pipeline")
def generation_pipeline(nb, rng):
    task, model_type, name = expect.parts(
        nb.run(
            "(getattr(generateur, 'task', None), generateur.model.config.model_type, "
            "str(generateur.model.name_or_path))"
        ),
        3,
        "generateur",
    )
    expect.equal(task, "text-generation", "la tâche du pipeline `generateur`")
    expect.equal(model_type, "gpt2", "le type du modèle de `generateur`")
    expect.equal(name, "gpt2", "le nom du modèle de `generateur`")


@check("gen.prompts")
def three_prompts(nb, rng):
    prompts = nb.get("prompts")
    if not isinstance(prompts, dict):
        raise CheckFailed(f"`prompts` : attendu un dictionnaire, reçu {type(prompts).__name__}")
    missing = [kind for kind in PROMPT_KINDS if kind not in prompts]
    if missing:
        raise CheckFailed(f"`prompts` : il manque les clés {', '.join(map(repr, missing))}")
    texts = {kind: _text(prompts[kind], f"prompts[{kind!r}]").strip() for kind in PROMPT_KINDS}
    for kind, text in texts.items():
        if len(text.split()) < 3:
            raise CheckFailed(f"prompts[{kind!r}] : trop court ({text!r}), au moins 3 mots")
    if not texts["question"].endswith("?"):
        raise CheckFailed("prompts['question'] : une question ouverte se termine par « ? »")
    if len(set(texts.values())) < len(texts):
        raise CheckFailed("`prompts` : les trois prompts doivent être différents")


def _configurations(nb):
    configurations = nb.get("configurations")
    if not isinstance(configurations, list) or not all(
        isinstance(c, dict) for c in configurations
    ):
        raise CheckFailed("`configurations` : attendu une liste de dictionnaires")
    for number, configuration in enumerate(configurations):
        length = configuration.get("max_length")
        sample = configuration.get("do_sample")
        temperature = configuration.get("temperature")
        if not isinstance(length, int) or isinstance(length, bool) or not 5 <= length <= 200:
            raise CheckFailed(
                f"configurations[{number}]['max_length'] : {length!r}, attendu un entier "
                "entre 5 et 200"
            )
        if not isinstance(sample, bool):
            raise CheckFailed(f"configurations[{number}]['do_sample'] : attendu True ou False")
        if not isinstance(temperature, int | float) or not 0 < temperature <= 5:
            raise CheckFailed(
                f"configurations[{number}]['temperature'] : {temperature!r}, attendu un réel "
                "entre 0 (exclu) et 5"
            )
    return configurations


@check("gen.configurations")
def varied_parameters(nb, rng):
    configurations = _configurations(nb)
    if len(configurations) < 3:
        raise CheckFailed(
            f"`configurations` : {len(configurations)} configuration(s), au moins 3 attendues"
        )
    if len({c["max_length"] for c in configurations}) < 2:
        raise CheckFailed("`configurations` : faites varier `max_length` (deux valeurs au moins)")
    if {c["do_sample"] for c in configurations} != {True, False}:
        raise CheckFailed("`configurations` : essayez `do_sample=True` et `do_sample=False`")
    if len({float(c["temperature"]) for c in configurations if c["do_sample"]}) < 2:
        raise CheckFailed(
            "`configurations` : essayez au moins deux températures avec `do_sample=True`"
        )


@check("gen.resultats")
def results_table(nb, rng):
    prompts = nb.get("prompts")
    configurations = _configurations(nb)
    if not isinstance(prompts, dict):
        raise CheckFailed("`prompts` n'est pas un dictionnaire")
    results = nb.get("resultats")
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise CheckFailed("`resultats` : attendu une liste de dictionnaires")
    expected = {(kind, number) for kind in prompts for number in range(len(configurations))}
    seen = set()
    for position, result in enumerate(results):
        kind, number = result.get("prompt"), result.get("config")
        if (kind, number) not in expected:
            raise CheckFailed(
                f"resultats[{position}] : le couple (prompt={kind!r}, config={number!r}) ne "
                "correspond à aucun prompt ni à aucune configuration"
            )
        seen.add((kind, number))
        prompt = _text(prompts[kind], f"prompts[{kind!r}]")
        text = _text(result.get("texte"), f"resultats[{position}]['texte']")
        if not text.startswith(prompt) or len(text) <= len(prompt):
            raise CheckFailed(
                f"resultats[{position}]['texte'] : attendu le prompt suivi du texte généré"
            )
        limit = configurations[number]["max_length"]
        if _too_long(text, limit):
            raise CheckFailed(
                f"resultats[{position}]['texte'] : {_tokens(text)} jetons, plus que "
                f"max_length={limit} de la configuration {number}"
            )
    missing = sorted(expected - seen, key=str)
    if missing:
        kind, number = missing[0]
        raise CheckFailed(
            f"`resultats` : {len(missing)} couple(s) manquant(s), dont (prompt={kind!r}, "
            f"config={number})"
        )


@reference  # once per grading run and input: the hidden prompts repeat across students
def reference_greedy(prompt: str, max_new_tokens: int) -> str:
    return greedy_decode(_stand_in_model(), gpt2_tokenizer(), prompt, max_new_tokens).text


def _too_long(text: str, max_length: int) -> bool:
    return _tokens(text) > max_length + LENGTH_SLACK + max_length // 5


@check("gen.glouton", hidden=True)
def greedy_generation(nb, rng):
    prompt = str(rng.choice(HIDDEN_PROMPTS))
    max_length = _tokens(prompt) + int(rng.integers(4, 12))
    call = f"generer(prompt, max_length={max_length}, do_sample=False)"
    first = _text(nb.call("generer", prompt, max_length=max_length, do_sample=False), call)
    second = _text(nb.call("generer", prompt, max_length=max_length, do_sample=False), call)
    if first != second:
        raise CheckFailed(f"{call} : deux appels donnent deux textes différents")
    stand_in = nb.run("getattr(generateur.model.config, 'grader_stand_in', None)")
    if stand_in is None:  # a real gpt2 (an instructor's cache): no reference in this process
        if _too_long(first, max_length):
            raise CheckFailed(f"{call} : {_tokens(first)} jetons, plus que max_length")
        return
    if first != reference_greedy(prompt, max_length - _tokens(prompt)):
        raise CheckFailed(
            f"{call} : le texte diffère du décodage glouton de référence "
            f"({_tokens(first)} jetons au lieu de {max_length})",
            redacted=f"{call} : le texte diffère du décodage glouton de référence",
        )


@check("gen.graine", hidden=True)
def seeded_sampling(nb, rng):
    prompt = str(rng.choice(HIDDEN_PROMPTS))
    max_length = _tokens(prompt) + int(rng.integers(6, 12))
    temperature = round(float(rng.uniform(0.6, 1.4)), 2)
    seed = int(rng.integers(0, 10_000))
    arguments = {"max_length": max_length, "temperature": temperature, "do_sample": True}
    call = f"generer(prompt, max_length={max_length}, temperature={temperature}, seed={seed})"
    first = _text(nb.call("generer", prompt, seed=seed, **arguments), call)
    again = _text(nb.call("generer", prompt, seed=seed, **arguments), call)
    other = _text(nb.call("generer", prompt, seed=seed + 1, **arguments), call)
    if first != again:
        raise CheckFailed(f"{call} : la même graine donne deux textes différents")
    if other == first:
        raise CheckFailed(f"{call} : une autre graine donne le même texte (tirage aléatoire ?)")
    if not first.startswith(prompt) or _too_long(first, max_length):
        raise CheckFailed(f"{call} : attendu le prompt suivi d'au plus max_length jetons en tout")


@check("gen.commentaire")
def comment_for_the_instructor(nb, rng):
    comment = _text(nb.get("commentaire"), "`commentaire`").strip()
    lines = [line for line in comment.splitlines() if line.strip()]
    if len(comment.split()) < 25:
        raise CheckFailed(
            f"`commentaire` : {len(comment.split())} mots ; attendu 3 à 4 lignes rédigées"
        )
    return student_text(
        comment,
        "Commentaire (à noter par l'enseignant)",
        note=f"{len(lines)} ligne(s), {len(comment.split())} mots.",
    )
