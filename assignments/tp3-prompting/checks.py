"""Checks of tp3-prompting. Public checks ship to students; hidden ones run at grading time only.

Expérience 10 is read from the student's table `resultats` through the probe (plain JSON
records), then scored in the grader process against rubrics/tp3-prompting-bench.yaml; the
check exp10.benchmark returns the report section that shows every case with its output,
automatic grade and reason, the means and the agreement with the student's own grades.
"""

import json
from functools import cache
from pathlib import Path

from grader.bench import load_rubric, read_student_table, score_student, tools_for
from grader.bench.notebook import bench_section, claimed_means, table_records
from grader.bench.report import french_number as french
from grader.bench.scoring import NO_LABEL, predicted_label
from grader.bench.student_table import grades_by_prompt, table_problems
from grader.bench.text import normalise
from grader.checks import CheckFailed, check

BENCH_RUBRIC = Path(__file__).resolve().parent.parent.parent / "rubrics" / "tp3-prompting-bench.yaml"
LABELS = ("positif", "négatif", "neutre")
PROMPT_IDS = ("zero-shot", "few-shot", "structured")
SAMPLE_REVIEWS = (
    "Produit reçu en retard mais fonctionnel.",
    "Je n'ai pas encore ouvert la boîte.",
    "Une vraie « réponse » à mes besoins, merci !",
    "L'apprentissage du logiciel m'a pris deux heures.",
)
KAPPA_MIN = 0.4
BEST_MEAN_MIN = 1.5


@cache
def bench_rubric():
    """Loaded on first use: the released bundle has no benchmark rubric and no hidden check."""
    return load_rubric(BENCH_RUBRIC)


def reference_sentiment(output):
    """The course's rule: the "sentiment" field of a JSON answer, else the only label the
    answer names as a whole word (case and accents ignored), else None."""
    try:
        document = json.loads(output.strip())
    except ValueError:
        document = None
    if isinstance(document, dict) and isinstance(document.get("sentiment"), str):
        output = document["sentiment"]
    label = predicted_label(output, list(LABELS), None)
    return None if label == NO_LABEL else label


def built_prompt(nb, name, review):
    prompt = nb.call("construire_prompt", name, review)
    if not isinstance(prompt, str):
        raise CheckFailed(
            f"construire_prompt({name!r}, avis) doit renvoyer un texte, "
            f"obtenu {type(prompt).__name__}"
        )
    if review not in prompt:
        raise CheckFailed(f"construire_prompt({name!r}, avis) : l'avis n'apparaît pas dans le prompt")
    return prompt


@check("prompts.zero-shot")
def zero_shot(nb, rng):
    prompt = built_prompt(nb, "zero-shot", SAMPLE_REVIEWS[rng.integers(len(SAMPLE_REVIEWS))])
    words = f" {normalise(prompt)} "
    missing = [label for label in LABELS if f" {normalise(label)} " not in words]
    if missing:
        raise CheckFailed(
            "prompt zero-shot : il doit nommer les trois sentiments possibles ; "
            f"absent(s) : {', '.join(missing)}"
        )


@check("prompts.few-shot")
def few_shot(nb, rng):
    review = SAMPLE_REVIEWS[rng.integers(len(SAMPLE_REVIEWS))]
    prompt = built_prompt(nb, "few-shot", review)
    examples = nb.get("EXEMPLES")
    if not isinstance(examples, list | tuple) or len(examples) < 3:
        raise CheckFailed("`EXEMPLES` doit être une liste d'au moins 3 couples (avis, sentiment)")
    pairs = [tuple(e) for e in examples if isinstance(e, list | tuple) and len(e) == 2]
    if len(pairs) != len(examples) or not all(isinstance(a, str) for pair in pairs for a in pair):
        raise CheckFailed("`EXEMPLES` : chaque exemple est un couple (avis, sentiment) de textes")
    if {normalise(label) for _, label in pairs} != {normalise(label) for label in LABELS}:
        raise CheckFailed("`EXEMPLES` : il faut au moins un exemple de chaque sentiment")
    reviews = nb.get("AVIS")
    tested = {normalise(str(r[1])) for r in reviews if isinstance(r, list | tuple) and len(r) == 2}
    leaked = [text for text, _ in pairs if normalise(text) in tested]
    if leaked:
        raise CheckFailed(f"`EXEMPLES` : « {leaked[0]} » est un avis de test de l'Expérience 10")
    absent = [text for text, _ in pairs if text not in prompt]
    if absent:
        raise CheckFailed(f"prompt few-shot : l'exemple « {absent[0]} » n'y figure pas")


@check("prompts.structure")
def structured(nb, rng):
    prompt = built_prompt(nb, "structured", SAMPLE_REVIEWS[rng.integers(len(SAMPLE_REVIEWS))])
    if "json" not in prompt.casefold() or "sentiment" not in prompt.casefold():
        raise CheckFailed(
            "prompt structuré : il doit demander un objet JSON avec un champ « sentiment »"
        )


def expect_sentiments(nb, outputs):
    for output in outputs:
        got = nb.call("extraire_sentiment", output)
        expected = reference_sentiment(output)
        if got != expected:
            raise CheckFailed(
                f"extraire_sentiment({output!r}) : {got!r}, attendu {expected!r}",
                redacted=f"extraire_sentiment({output!r}) : {got!r} n'est pas le bon sentiment",
            )


@check("extraction.exemples")
def extraction_examples(nb, rng):
    expect_sentiments(nb, [
        "Positif",
        "Le sentiment de cet avis est neutre.",
        '{"sentiment": "négatif", "justification": "le client est déçu"}',
        "Je ne sais pas.",
    ])


@check("extraction.aleatoire", hidden=True)
def extraction_random(nb, rng):
    def label():
        return LABELS[rng.integers(len(LABELS))]

    def other(than):
        return next(lab for lab in rng.permutation(LABELS) if lab != than)

    first, second, third = label(), label(), label()
    outputs = [
        first.upper() + " !",
        f"Réponse : « {second} »",
        "negatif",  # no accent: still négatif
        json.dumps({"sentiment": third, "justification": f"rien de {other(third)} ici"},
                   ensure_ascii=False),
        f"Plutôt {first}, voire {other(first)}.",  # two labels: undecided
        "Impossible à dire.",
        f"Sentiment : {second.capitalize()}",
    ]
    expect_sentiments(nb, [outputs[i] for i in rng.permutation(len(outputs))])


@check("exp10.tableau")
def experiment_table(nb, rng):
    problems = table_problems(table_records(nb, "resultats"), prompts=3, cases=20)
    if problems:
        more = f" (et {len(problems) - 3} autre(s))" if len(problems) > 3 else ""
        raise CheckFailed("`resultats` incomplet : " + " ; ".join(problems[:3]) + more)


def own_means(nb):
    """The student's means as they wrote them, and as their own grades give them."""
    claimed = nb.get("moyennes")
    if not isinstance(claimed, dict):
        raise CheckFailed(
            f"`moyennes` doit être un dictionnaire {{prompt: moyenne}}, obtenu {type(claimed).__name__}"
        )
    grades = grades_by_prompt(table_records(nb, "resultats"))
    recomputed = {prompt: sum(g) / len(g) for prompt, g in grades.items()}
    return claimed, recomputed


@check("exp10.moyennes")
def experiment_means(nb, rng):
    claimed, recomputed = own_means(nb)
    if len(claimed) != len(recomputed):
        raise CheckFailed(
            f"`moyennes` : {len(claimed)} prompt(s), mais {len(recomputed)} dans `resultats`"
        )
    for name, mean in claimed.items():
        own = recomputed.get(normalise(str(name)))
        if own is None:
            raise CheckFailed(f"`moyennes` : le prompt « {name} » n'est pas dans `resultats`")
        try:
            value = float(mean)
        except (TypeError, ValueError):
            raise CheckFailed(f"`moyennes[{name!r}]` : attendu un nombre, obtenu {mean!r}") from None
        if abs(value - own) > 0.005:
            raise CheckFailed(
                f"`moyennes[{name!r}]` : {french(value)}, alors que vos notes de `resultats` "
                f"donnent {french(own)}"
            )


@check("exp10.gagnant")
def experiment_winner(nb, rng):
    _, recomputed = own_means(nb)
    winner = nb.get("meilleur_prompt")
    if not isinstance(winner, str):
        raise CheckFailed(f"`meilleur_prompt` doit être un texte, obtenu {type(winner).__name__}")
    if not recomputed:
        raise CheckFailed("`resultats` ne contient aucune note 0 / 1 / 2")
    best = max(recomputed.values())
    if normalise(winner) not in recomputed:
        raise CheckFailed(f"`meilleur_prompt` : « {winner} » n'est pas un prompt de `resultats`")
    if recomputed[normalise(winner)] < best - 1e-9:
        raise CheckFailed(
            f"`meilleur_prompt` : « {winner} » a la moyenne "
            f"{french(recomputed[normalise(winner)])}, un autre prompt a {french(best)} "
            "d'après vos notes"
        )


def scored_experiment(nb):
    rubric = bench_rubric()
    table = read_student_table(rubric, "notebook", table_records(nb, "resultats"))
    if not table.rows:
        raise CheckFailed("`resultats` : aucune ligne ne correspond à un avis de l'Expérience 10")
    moyennes = nb.get("moyennes")
    means = claimed_means(rubric, moyennes) if isinstance(moyennes, dict) else None
    return score_student(rubric, "notebook", table.rows, tools_for(rubric), means, table.warnings)


@check("exp10.benchmark", hidden=True)
def experiment_benchmark(nb, rng):
    return bench_section(scored_experiment(nb), "Expérience 10 : correction automatique")


@check("exp10.accord", hidden=True)
def experiment_agreement(nb, rng):
    analysis = scored_experiment(nb).analysis
    if analysis is None or not analysis.compared:
        raise CheckFailed("`resultats` : aucune note 0 / 1 / 2 à comparer")
    shown = "non défini" if analysis.kappa is None else french(analysis.kappa)
    if analysis.kappa is None or analysis.kappa < KAPPA_MIN:
        raise CheckFailed(
            f"κ de Cohen entre vos notes et la correction automatique : {shown} (minimum 0,4) ; "
            f"{len(analysis.disagreements)} désaccord(s) sur {analysis.compared} notes, "
            "listés dans la section « Expérience 10 »"
        )


@check("exp10.qualite", hidden=True)
def experiment_quality(nb, rng):
    result = scored_experiment(nb)
    best = max(result.prompts, key=lambda p: p.mean)
    if best.mean < BEST_MEAN_MIN:
        raise CheckFailed(
            f"meilleure moyenne automatique : {french(best.mean)} / 2 ({best.title}), "
            "attendu au moins 1,5"
        )
