"""Checks of tp-rnn: the vanishing gradient of a simple RNN (Expérience 3) and the cost of
self-attention against an RNN (Expérience 7).

Nothing here compares a trained model or a timing with a fixed number: training and timing are
random and the machine is loaded. The checks call the student's functions on seeds drawn at
grading time and expect properties (the gradient falls with T: a rank correlation; attention's
log-log slope above the RNN's: a band), and they rerun the student's own code on the student's
own seed to tell computed numbers from typed-in ones. A timing function is tried on a probe of
the grader's whose first call is slow: without warm-up, the mean shows it.
"""

import math

import numpy as np

from grader.checks import CheckFailed, check, expect

T_VALEURS = [10, 20, 50, 100]
T_TEMPS = [32, 64, 128, 256, 512, 1024]
N_PAS = 30
PREMIERS_PAS = 3  # gradient_moyen: the first steps (past 10, 1 seed in 40 breaks the trend)
MIN_CORRELATION = 0.79  # -Spearman's rho of the gradient against T: one adjacent swap (0.8)
MIN_PRECISION_COURTE = 0.8  # T = 10 is learnt within 30 steps (T = 100 is, now and then)
PENTE_ECART = 0.25  # attention's slope above the RNN's, measured by the grader (min of 5)
PENTE_RNN = (0.4, 1.6)
PENTE_ATTENTION = (1.2, 10.0)  # no real upper bound: past the caches, load makes it steeper
SONDE_LENTE, SONDE_RAPIDE = 0.3, 0.002  # seconds: the probe's first call, and every other
SONDE_SEUIL = 0.02  # a mean above this counted the slow first call
PENTE_TOLERANCE = 0.02


def _numbers(value, what, count):
    if not isinstance(value, list | tuple | np.ndarray) or len(value) != count:
        raise CheckFailed(f"`{what}` : attendu une liste de {count} nombres")
    try:
        numbers = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(f"`{what}` : attendu une liste de {count} nombres") from None
    if not np.all(np.isfinite(numbers)):
        raise CheckFailed(f"`{what}` : des valeurs ne sont pas finies (nan ou inf)")
    return numbers


def _training(nb, T, seed):
    """The student's `entrainer_rnn(T, seed)`: (mean of the first norms, precision)."""
    result = nb.call("entrainer_rnn", T, seed)
    call = f"entrainer_rnn({T}, {seed})"
    if not isinstance(result, dict) or {"normes_gradient", "precision"} - set(result):
        raise CheckFailed(f"{call} : attendu un dictionnaire aux clés normes_gradient et precision")
    norms = _numbers(result["normes_gradient"], f"{call}['normes_gradient']", N_PAS)
    precision = result["precision"]
    if not isinstance(precision, int | float) or not 0 <= precision <= 1:
        raise CheckFailed(f"{call}['precision'] : {precision!r}, attendu un nombre entre 0 et 1")
    if np.any(norms < 0):
        raise CheckFailed(f"{call}['normes_gradient'] : une norme est négative")
    return float(np.mean(norms[:PREMIERS_PAS])), float(precision)


@check("exp3.sequences")
def sequences(nb, rng):
    n, T, seed = int(rng.integers(5, 20)), int(rng.integers(3, 12)), int(rng.integers(0, 1000))
    call = f"generer_sequences({n}, {T}, {seed})"
    x, y = expect.parts(nb.call("generer_sequences", n, T, seed), 2, call)
    x, y = expect.array(x, f"{call}[0]"), expect.array(y, f"{call}[1]")
    expect.shape(x, (n, T, 1), f"{call}[0]")
    expect.shape(y, (n,), f"{call}[1]")
    if not np.isin(x, (0, 1)).all():
        raise CheckFailed(f"{call}[0] : attendu des bits 0 ou 1")
    if not np.array_equal(y, x[:, 0, 0]):
        wrong = int(np.argmax(y != x[:, 0, 0]))
        raise CheckFailed(
            f"{call}[1], séquence {wrong} : étiquette {y[wrong]:g}, alors que le premier "
            f"élément est {x[wrong, 0, 0]:g} (l'étiquette est le premier élément)"
        )
    again = expect.array(nb.call("generer_sequences", n, T, seed)[0], call)
    if not np.array_equal(again, x):
        raise CheckFailed(f"{call} : deux appels avec la même graine donnent deux séquences")
    other = expect.array(nb.call("generer_sequences", n, T, seed + 1)[0], call)
    if np.array_equal(other, x) and n * T >= 30:
        raise CheckFailed(f"{call} : une autre graine donne les mêmes séquences")


@check("exp3.entrainement")
def training_returns(nb, rng):
    _training(nb, 10, int(rng.integers(0, 1000)))


@check("exp3.valeurs")
def reported_values(nb, rng):
    expect.equal(nb.get("T_VALEURS"), T_VALEURS, "T_VALEURS")
    gradients = _numbers(nb.get("gradient_moyen"), "gradient_moyen", len(T_VALEURS))
    precisions = _numbers(nb.get("precisions"), "precisions", len(T_VALEURS))
    seed = nb.get("GRAINE")
    for index in (0, len(T_VALEURS) - 1):
        T = T_VALEURS[index]
        gradient, precision = _training(nb, T, seed)
        if not math.isclose(gradients[index], gradient, rel_tol=1e-6, abs_tol=1e-300):
            raise CheckFailed(
                f"gradient_moyen[{index}] = {gradients[index]:.3g}, mais entrainer_rnn({T}, "
                f"GRAINE) donne {gradient:.3g} en moyenne sur les {PREMIERS_PAS} premiers pas : "
                "ces nombres ne viennent pas de votre code"
            )
        if not math.isclose(precisions[index], precision, abs_tol=1e-9):
            raise CheckFailed(
                f"precisions[{index}] = {precisions[index]:.3g}, mais entrainer_rnn({T}, GRAINE) "
                f"donne {precision:.3g} : ces nombres ne viennent pas de votre code"
            )


@check("exp3.disparition", hidden=True)
def gradient_vanishes(nb, rng):
    seed = int(rng.integers(0, 1000))
    gradients = [_training(nb, T, seed)[0] for T in T_VALEURS]
    what = "norme moyenne du gradient selon T, sur une graine de correction"
    expect.trend(T_VALEURS, gradients, what, increasing=False, at_least=MIN_CORRELATION)


@check("exp3.precision", hidden=True)
def short_dependency_learnt(nb, rng):
    precision = _training(nb, 10, int(rng.integers(0, 1000)))[1]
    expect.at_least(precision, MIN_PRECISION_COURTE, "précision pour T = 10 (graine de correction)")


def _plotting(nb, values, what):
    """Some curve of the notebook's figures is `values`, else the check fails."""
    for figure in nb.figures():
        for axes in figure.axes:
            try:
                expect.plotted(axes, values, what, rtol=1e-3, atol=0)
            except CheckFailed:
                continue
            return
    raise CheckFailed(f"aucune courbe des figures ne trace `{what}`")


@check("exp3.figures")
def gradient_and_precision_plots(nb, rng):
    found = expect.axes(nb, "norme moyenne du gradient selon T", yscale="log", labelled=True)
    gradients = _numbers(nb.get("gradient_moyen"), "gradient_moyen", len(T_VALEURS))
    expect.plotted(found[0], gradients, "gradient_moyen", rtol=1e-3, atol=0)
    _plotting(nb, _numbers(nb.get("precisions"), "precisions", len(T_VALEURS)), "precisions")


@check("exp7.blocs")
def blocks(nb, rng):
    T, d = int(rng.integers(4, 9)), 8
    order = rng.permutation(T).tolist()
    source = (
        "_x = torch.randn(1, {T}, {d}, dtype=torch.get_default_dtype())\n"
        "_bloc = {name}({d}).eval()\n"
        "with torch.no_grad():\n"
        "    _y, _y_perm = _bloc(_x), _bloc(_x[:, {order}])\n"
        "[list(_y.shape), bool(torch.allclose(_y[:, {order}], _y_perm, atol=1e-6))]"
    )
    for name in ("BlocRNN", "BlocAttention"):
        shape, equivariant = expect.parts(
            nb.run(source.format(T=T, d=d, name=name, order=order)), 2, f"{name}({d})(x)"
        )
        expect.equal(shape, [1, T, d], f"la forme de {name}({d})(x) pour x de forme (1, {T}, {d})")
        if name == "BlocAttention" and not equivariant:
            raise CheckFailed(
                "BlocAttention : permuter les positions de x devrait permuter la sortie de la "
                "même façon (l'auto-attention sans encodage de position ne dépend pas de l'ordre)"
            )
        if name == "BlocRNN" and equivariant:
            raise CheckFailed("BlocRNN : la sortie ne dépend pas de l'ordre des positions")


@check("exp7.echauffement")
def warm_up(nb, rng):
    n_passes = int(rng.integers(8, 13))
    source = (
        "import time as _time\n"
        "class _Sonde:\n"
        "    appels = 0\n"
        "    def __call__(self, x):\n"
        "        self.appels += 1\n"
        f"        _time.sleep({SONDE_LENTE} if self.appels == 1 else {SONDE_RAPIDE})\n"
        "        return x\n"
        "_sonde = _Sonde()\n"
        f"[mesurer_temps(_sonde, torch.zeros(1, 4, 4), n_passes={n_passes}), _sonde.appels]"
    )
    mean, calls = expect.parts(nb.run(source), 2, "mesurer_temps(bloc, x)")
    if not isinstance(mean, int | float) or not isinstance(calls, int):
        raise CheckFailed("mesurer_temps(bloc, x) : attendu un temps moyen en secondes")
    if calls < n_passes:
        raise CheckFailed(
            f"mesurer_temps(bloc, x, n_passes={n_passes}) n'a appelé le bloc que {calls} fois"
        )
    if mean > SONDE_SEUIL and calls == n_passes:
        raise CheckFailed(
            f"mesurer_temps(bloc, x, n_passes={n_passes}) : aucun passage d'échauffement ; sur un "
            f"bloc dont seul le premier appel est lent ({SONDE_LENTE} s, puis {SONDE_RAPIDE} s), "
            f"la moyenne mesurée est {mean:.3f} s : le premier appel fausse la mesure"
        )
    if mean > SONDE_SEUIL:
        raise CheckFailed(
            f"mesurer_temps(bloc, x, n_passes={n_passes}) : {mean:.3f} s pour un bloc de "
            f"{SONDE_RAPIDE} s par passage : attendu le temps moyen d'un passage"
        )
    if mean < SONDE_RAPIDE * 0.9:
        raise CheckFailed(
            f"mesurer_temps(bloc, x) : {mean:.4f} s pour un bloc qui prend {SONDE_RAPIDE} s : "
            "le bloc est-il vraiment appelé entre les deux mesures de temps ?"
        )


def _slope(lengths, times):
    large = [i for i, T in enumerate(lengths) if T >= 256]
    return float(np.polyfit(np.log(np.array(lengths)[large]), np.log(times[large]), 1)[0])


@check("exp7.pentes")
def reported_slopes(nb, rng):
    expect.equal(nb.get("T_TEMPS"), T_TEMPS, "T_TEMPS")
    for block in ("rnn", "attention"):
        times = _numbers(nb.get(f"temps_{block}"), f"temps_{block}", len(T_TEMPS))
        if np.any(times <= 0):
            raise CheckFailed(f"`temps_{block}` : un temps est nul ou négatif")
        reported = nb.get(f"pente_{block}")
        if not isinstance(reported, int | float):
            raise CheckFailed(f"`pente_{block}` : attendu un nombre")
        slope = _slope(T_TEMPS, times)
        if abs(reported - slope) > PENTE_TOLERANCE:
            raise CheckFailed(
                f"`pente_{block}` = {reported:.2f}, mais la pente de vos temps `temps_{block}` "
                f"(moindres carrés en log–log, T ≥ 256) est {slope:.2f}"
            )


def _best_time(nb, block, T):
    """The fastest of five means of the student's `mesurer_temps`: load only slows a run."""
    source = (
        "torch.manual_seed(0)\n"
        f"_bloc = {block}(32).eval()\n"
        f"_x = torch.randn(1, {T}, 32, dtype=torch.get_default_dtype())\n"
        "min(mesurer_temps(_bloc, _x, n_passes=5) for _ in range(5))"
    )
    value = nb.run(source)
    if not isinstance(value, int | float) or value <= 0:
        raise CheckFailed(f"mesurer_temps({block}(32), x) : attendu un temps positif")
    return float(value)


def _measured_slopes(nb):
    """Both blocks' log-log slopes between T = 128 and 1024 (a range of 8: steadier than 4)."""
    lengths, slopes = [128, 1024], {}
    for block, (low, high) in (("BlocRNN", PENTE_RNN), ("BlocAttention", PENTE_ATTENTION)):
        times = [_best_time(nb, block, T) for T in lengths]
        what = f"pente log–log du temps de {block} mesurée à la correction"
        slopes[block] = expect.slope(lengths, times, what, low=low, high=high)
    rnn, attention = slopes["BlocRNN"], slopes["BlocAttention"]
    if attention - rnn < PENTE_ECART:
        raise CheckFailed(
            "la pente de l'attention devrait dépasser nettement celle du RNN (pentes mesurées à "
            f"la correction : RNN {rnn:.2f}, attention {attention:.2f})"
        )


@check("exp7.mesure", hidden=True)
def measured_slopes(nb, rng):
    try:
        _measured_slopes(nb)
    except CheckFailed:  # a neighbour's burst can skew one measure: the second one decides
        _measured_slopes(nb)


@check("exp7.figure")
def timing_plot(nb, rng):
    found = expect.axes(
        nb, "temps selon T", xscale="log", yscale="log", lines=2, labelled=True, legend=2
    )
    for block in ("rnn", "attention"):
        times = _numbers(nb.get(f"temps_{block}"), f"temps_{block}", len(T_TEMPS))
        expect.plotted(found[0], times, f"temps_{block}", rtol=1e-3, atol=0)
