"""Checks of tp-mlp: learning curves (Expérience 1) and regularisation (Expérience 2).

Training is random, so nothing is compared with an exact number. The checks call the
student's `train_mlp` and `evaluate` on data and seeds drawn from `rng` and judge properties:
evaluation in eval mode (two evaluations of a dropout model agree), validation computed on
the validation data (labels flipped there, the accuracy must collapse), the train-validation
gap larger on small data, weight decay shrinking the weights, an accuracy floor on hidden
data. The figures are read as data: the curves, legends and decision boundaries are there,
and the plotted curve is what the student's code computes (a rerun on the notebook's data
and seed), so a curve typed in by hand fails.
"""

import numpy as np

from grader.checks import check, expect

SIZES = (100, 500, 1000)


def moons(rng, n, noise=0.3):
    """Two interleaved half circles with Gaussian noise (make_moons' shape), from `rng`."""
    half = n // 2
    outer = np.linspace(0, np.pi, n - half)
    inner = np.linspace(0, np.pi, half)
    X = np.concatenate(
        [
            np.stack([np.cos(outer), np.sin(outer)], axis=1),
            np.stack([1 - np.cos(inner), 0.5 - np.sin(inner)], axis=1),
        ]
    )
    y = np.concatenate([np.zeros(n - half), np.ones(half)]).astype(np.int64)
    X = X + rng.normal(scale=noise, size=X.shape)
    order = rng.permutation(n)
    return X[order].astype(np.float32), y[order]


def trained(nb, X, y, X_val, y_val, epochs, seed, **options):
    """The `history` dictionary of train_mlp on these data."""
    returned = nb.call("train_mlp", X, y, X_val, y_val, epochs, seed=seed, **options)
    found = expect.parts(returned, 2, "train_mlp(...)")[1]
    if not isinstance(found, dict) or not {"train_acc", "val_acc"} <= found.keys():
        raise expect.BadReturn(
            'train_mlp(...)[1] : un dictionnaire `history` avec "train_acc" et "val_acc" '
            "est attendu"
        )
    return found


def history(nb, rng, n, epochs=150):
    """train_mlp on `n` fresh points (validation: 1000 more), a seed from `rng`."""
    X, y = moons(rng, n)
    X_val, y_val = moons(rng, 1000)
    return trained(nb, X, y, X_val, y_val, epochs, int(rng.integers(10_000)))


@check("mlp.evaluation")
def evaluation_mode(nb, rng):
    """Two evaluations of a dropout model agree: dropout is off at evaluation."""
    X, y = moons(rng, 200)
    losses = nb.run(
        "model = train_mlp(X, y, X, y, 20, dropout=0.5, seed=1)[0]\n"
        "[evaluate(model, X, y)[0] for _ in range(3)]",
        X=X,
        y=y,
    )
    expect.close(
        expect.numbers(losses, "trois évaluations du même modèle"),
        np.full(3, float(expect.numbers(losses, "évaluation")[0])),
        "trois évaluations du même modèle à dropout 0,5 (le dropout doit être coupé)",
        rtol=1e-6,
    )


@check("exp1.courbes")
def learning_curves_plot(nb, rng):
    expect.axes(
        nb,
        "Expérience 1, courbes d'apprentissage",
        lines=3,
        labelled=True,
        legend=["100", "500", "1000"],
    )


@check("exp1.coherence")
def learning_curves_are_computed(nb, rng):
    """The plotted validation curve of n = 100 is what train_mlp computes on the notebook's
    data and seed (a curve typed in by hand is not)."""
    (curves,) = expect.axes(nb, "Expérience 1, courbes d'apprentissage", lines=3, legend=["100"])
    rerun = nb.run("train_mlp(*DONNEES[100], X_val, y_val, seed=SEED)[1]['val_loss']")
    expect.plotted(curves, expect.numbers(rerun, "perte de validation"), "validation, n = 100")


@check("exp1.tendances", hidden=True)
def gap_shrinks_with_data(nb, rng):
    small, large = history(nb, rng, 30), history(nb, rng, 1000)
    gaps = [h["train_acc"] - h["val_acc"] for h in (small, large)]
    expect.at_least(gaps[0], 0.0, "précision d'entraînement moins précision de validation, n = 30")
    expect.at_least(
        gaps[0] - gaps[1], 0.03, "réduction de l'écart entraînement–validation de n = 30 à n = 1000"
    )


@check("exp1.validation", hidden=True)
def validation_uses_validation_data(nb, rng):
    """Validation labels flipped: a model measured on them must score low."""
    X, y = moons(rng, 300)
    X_val, y_val = moons(rng, 500)
    found = trained(nb, X, y, X_val, 1 - y_val, 100, int(rng.integers(10_000)))
    expect.at_most(found["val_acc"], 0.3, "précision de validation sur des étiquettes inversées")
    expect.at_least(found["train_acc"], 0.8, "précision d'entraînement")


@check("exp2.figures")
def regularisation_plots(nb, rng):
    expect.axes(nb, "Expérience 2, pertes par époque", lines=6, labelled=True)
    expect.axes(nb, "Expérience 2, frontières de décision", count=3, contour=True, scatter=True)


@check("exp2.regularisation", hidden=True)
def weight_decay_shrinks_weights(nb, rng):
    X, y = moons(rng, 200)
    seed = int(rng.integers(10_000))
    squared_norms = (
        "[float(sum((p.detach() ** 2).sum() for p in train_mlp(X, y, X, y, 150, weight_decay=wd, "
        "seed=seed)[0].parameters())) for wd in (0.0, 1e-2)]"
    )
    norms = nb.run(squared_norms, X=X, y=y, seed=seed)
    plain, decayed = expect.numbers(norms, "normes des poids")
    expect.at_least(
        plain / max(decayed, 1e-12),
        2.0,
        "rapport des normes des poids sans et avec weight_decay=1e-2",
    )


@check("exp2.precision", hidden=True)
def accuracy_on_hidden_data(nb, rng):
    X, y = moons(rng, 500)
    X_test, y_test = moons(rng, 1000)
    seed = int(rng.integers(10_000))
    test_accuracy = (
        "model = train_mlp(X, y, X_test, y_test, 150, weight_decay=1e-4, seed=seed)[0]\n"
        "evaluate(model, X_test, y_test)[1]"
    )
    accuracy = nb.run(test_accuracy, X=X, y=y, X_test=X_test, y_test=y_test, seed=seed)
    expect.at_least(accuracy, 0.85, "précision sur des données cachées")
