"""What a student reads of a check or a limit, as data: a key and its parameters.

Checks (grader.checks.expect, the runner, the probes, the static analysis) and the sandbox's
limits produce a Message rather than a sentence. The results keep its key and parameters beside
the French sentence (the JSON's `message` stays French for the tools that read it), and a report
renders the key in its own language: `--lang en` is English throughout. A check author's own
`CheckFailed("texte")` has no key and is shown as written.

A parameter is text (a name, a repr: shown as it is), a number (shown by grader.formats in the
reader's language), or another message: a value's kind, the subject of a probe, a size. Lists
are only the items of the `join.*` keys, joined by the language's separator. Keys and
parameters read back from a results file are hostile: anything that does not render (an unknown
key, a missing parameter, a structure too deep) falls back to the stored French sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from grader import formats
from grader.formats import Lang

Param = Any  # str | int | float | Message | list[Message]: what render() below takes

MAX_DEPTH = 12  # nested messages: the deepest the grader builds is 6 (a static call chain)


@dataclass(frozen=True)
class Message:
    key: str
    params: Mapping[str, Param] = field(default_factory=dict)

    def text(self, lang: Lang = "fr") -> str:
        return _render(self.key, self.params, lang, 0)

    def to_data(self) -> dict[str, Any]:
        """The parameters as plain JSON: nested messages as {"key", "params"} objects."""
        return {name: _param_data(value) for name, value in self.params.items()}


def say(key: str, **params: Param) -> Message:
    """say("probe.missing_function", name="softmax"): the message, to raise or to store."""
    return Message(key, params)


def sentences(items: list[Message]) -> Message | None:
    """Several sentences as one message (none: None; one: itself)."""
    if len(items) < 2:
        return items[0] if items else None
    return Message("join.sentences", {"items": list(items)})


def _param_data(value: Param) -> Any:
    if isinstance(value, Message):
        return {"key": value.key, "params": value.to_data()}
    if isinstance(value, list | tuple):
        return [_param_data(item) for item in value]
    return value


def known_key(value: Any) -> str | None:
    """A message key read back from a results file: one of the catalogue's, or None."""
    return value if isinstance(value, str) and (value in CATALOGUE or value in _UNITS) else None


def localized(key: str | None, params: Any, fallback: str, lang: Lang) -> str:
    """The stored message in `lang`; `fallback` (the stored French text) when there is no key,
    or when the key and parameters read back do not render."""
    if key is None or not isinstance(params, dict):
        return fallback
    try:
        return _render(key, params, lang, 0)
    except (KeyError, IndexError, ValueError, TypeError, RecursionError):
        return fallback


def _render(key: str, params: Mapping[str, Any], lang: Lang, depth: int) -> str:
    if depth > MAX_DEPTH:
        raise ValueError("message nested too deep")
    column = 0 if lang == "fr" else 1
    if key in _UNITS:
        return _UNITS[key](params["value"], lang)
    if key.startswith("join."):
        items = params["items"]
        if not isinstance(items, list):
            raise TypeError("join items must be a list")
        return CATALOGUE[key][column].join(_value(item, lang, depth) for item in items)
    values = {name: _value(value, lang, depth) for name, value in params.items()}
    return CATALOGUE[key][column].format(**values)


def _value(value: Any, lang: Lang, depth: int) -> str:
    if isinstance(value, Message):
        return _render(value.key, value.params, lang, depth + 1)
    if isinstance(value, dict):
        if not isinstance(value.get("key"), str) or not isinstance(value.get("params"), dict):
            raise TypeError("a nested message needs a key and params")
        return _render(value["key"], value["params"], lang, depth + 1)
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return formats.count(value, lang)
    if isinstance(value, float):
        return formats.number(value, lang)
    if isinstance(value, str):
        return value
    raise TypeError(f"a parameter of type {type(value).__name__}")


def _size(value: Any, lang: Lang) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("a size is an integer")
    return formats.size(value, lang)


def _points(value: Any, lang: Lang) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise TypeError("points are a number")
    return formats.points(float(value), lang)


def _seconds(value: Any, lang: Lang) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise TypeError("a duration is a number")
    return formats.seconds(float(value), lang)


# Quantities with a unit: say("size", value=1024**3) -> "1 Gio" / "1 GiB".
_UNITS = {"size": _size, "seconds": _seconds, "points": _points}


def size(value: int) -> Message:
    return Message("size", {"value": value})


def seconds(value: float) -> Message:
    return Message("seconds", {"value": value})


def points(value: float) -> Message:
    return Message("points", {"value": value})


# key -> (French, English). Placeholders are the parameters; `join.*` entries are separators.
CATALOGUE: dict[str, tuple[str, str]] = {
    "join.sentences": (" ", " "),
    "join.clauses": (" ; ", "; "),
    "join.or": (" ou ", " or "),
    "join.and": (" et ", " and "),
    # what a value is (grader.checks.expect)
    "kind.object": ("un objet {type}", "a {type} object"),
    "kind.array": ("un tableau de forme {shape}", "an array of shape {shape}"),
    "kind.tuple": ("un tuple", "a tuple"),
    "kind.list": ("une liste", "a list"),
    "kind.dict": ("un dictionnaire", "a dictionary"),
    "kind.str": ("un texte", "a string"),
    "kind.bool": ("un booléen", "a boolean"),
    "kind.int": ("un entier", "an integer"),
    "kind.float": ("un réel", "a real number"),
    "kind.none": ("None", "None"),
    "kind.other": ("{type}", "{type}"),
    "dtype.b": ("booléen", "boolean"),
    "dtype.i": ("entier", "integer"),
    "dtype.u": ("entier", "integer"),
    "dtype.f": ("réel", "real"),
    "dtype.c": ("complexe", "complex"),
    "dtype.other": ("{kind}", "{kind}"),
    # where in a value
    "place.element": ("{what}, élément [{index}]", "{what}, element [{index}]"),
    "place.position": ("{what}, position {position}", "{what}, position {position}"),
    # grader.checks.expect
    "expect.not_array": (
        "{what} : un tableau numpy ou un tenseur est attendu, reçu {got}",
        "{what}: a numpy array or a tensor was expected, got {got}",
    ),
    "expect.not_tuple": (
        "{what} : un tuple de {count} éléments est attendu, reçu {got}",
        "{what}: a tuple of {count} items was expected, got {got}",
    ),
    "expect.not_list": (
        "{what} : une liste est attendue, reçu {got}",
        "{what}: a list was expected, got {got}",
    ),
    "expect.shape": (
        "{what} : forme {got}, attendu {expected}",
        "{what}: shape {got}, expected {expected}",
    ),
    "expect.shape_hidden": (
        "{what} : la forme {got} n'est pas la bonne",
        "{what}: the shape {got} is wrong",
    ),
    "expect.dtype": (
        "{what} : type {got}, attendu un type {expected}",
        "{what}: type {got}, expected a {expected} type",
    ),
    "expect.not_torch": (
        "{what} : un tenseur torch est attendu pour des entrées torch, reçu {got}",
        "{what}: a torch tensor was expected for torch inputs, got {got}",
    ),
    "expect.not_real": (
        "{what} : des nombres réels sont attendus, reçu le type {dtype}",
        "{what}: real numbers were expected, got type {dtype}",
    ),
    "expect.nan": ("{place} : NaN, attendu {expected}", "{place}: NaN, expected {expected}"),
    "expect.nan_hidden": ("{place} : NaN au lieu d'un nombre", "{place}: NaN instead of a number"),
    "expect.off": ("{place} : {got}, attendu {expected}", "{place}: {got}, expected {expected}"),
    "expect.off_many": (
        "{place} : {got}, attendu {expected} ({wrong} valeurs sur {total} hors tolérance)",
        "{place}: {got}, expected {expected} ({wrong} values out of {total} outside the tolerance)",
    ),
    "expect.off_hidden": (
        "{place} : {got} est hors tolérance",
        "{place}: {got} is outside the tolerance",
    ),
    "expect.off_many_hidden": (
        "{place} : {got} est hors tolérance ({wrong} valeurs sur {total} hors tolérance)",
        "{place}: {got} is outside the tolerance ({wrong} values out of {total} outside it)",
    ),
    "expect.sum": (
        "{what}, ligne {row} : somme {sum}, attendu {expected}",
        "{what}, row {row}: sum {sum}, expected {expected}",
    ),
    "expect.sum_hidden": (
        "{what}, ligne {row} : somme {sum}, ce n'est pas la bonne",
        "{what}, row {row}: sum {sum}, which is wrong",
    ),
    "expect.unequal": (
        "{place} : {got}, attendu {expected}",
        "{place}: {got}, expected {expected}",
    ),
    "expect.unequal_hidden": ("{place} : {got} est incorrect", "{place}: {got} is wrong"),
    "expect.length": (
        "{what} : {got} éléments, attendu {expected}",
        "{what}: {got} items, expected {expected}",
    ),
    "expect.length_hidden": (
        "{what} : {got} éléments, ce n'est pas le bon nombre",
        "{what}: {got} items, which is the wrong number",
    ),
    "expect.not_number": (
        "{what} : un nombre est attendu, reçu {got}",
        "{what}: a number was expected, got {got}",
    ),
    "trend.unusable": (
        "{what} : il faut au moins deux valeurs finies, autant que de points en abscisse",
        "{what}: at least two finite values are needed, as many as the points on the x axis",
    ),
    "trend.not_increasing": (
        "{what} : la tendance n'est pas croissante (corrélation de rang {rho})",
        "{what}: the trend is not increasing (rank correlation {rho})",
    ),
    "trend.not_decreasing": (
        "{what} : la tendance n'est pas décroissante (corrélation de rang {rho})",
        "{what}: the trend is not decreasing (rank correlation {rho})",
    ),
    "slope.unusable": (
        "{what} : une pente log–log demande au moins deux points strictement positifs",
        "{what}: a log–log slope needs at least two strictly positive points",
    ),
    "slope.outside": (
        "{what} : pente log–log {got}, attendu entre {low} et {high}",
        "{what}: log–log slope {got}, expected between {low} and {high}",
    ),
    "slope.outside_hidden": (
        "{what} : la pente log–log {got} n'est pas dans l'intervalle attendu",
        "{what}: the log–log slope {got} is outside the expected range",
    ),
    "bound.below": (
        "{what} : {got}, attendu au moins {floor}",
        "{what}: {got}, expected at least {floor}",
    ),
    "bound.below_hidden": (
        "{what} : {got} est sous le seuil attendu",
        "{what}: {got} is below the expected threshold",
    ),
    "bound.above": (
        "{what} : {got}, attendu au plus {ceiling}",
        "{what}: {got}, expected at most {ceiling}",
    ),
    "bound.above_hidden": (
        "{what} : {got} dépasse le seuil attendu",
        "{what}: {got} is above the expected threshold",
    ),
    # figures as data (grader.checks.expect_figures)
    "figure.none": (
        "{what} : le notebook n'a tracé aucune figure matplotlib",
        "{what}: the notebook drew no matplotlib figure",
    ),
    "figure.unmet": ("{what} : {reason}", "{what}: {reason}"),
    "figure.too_few": (
        "{found} graphique(s) conforme(s) sur {count} attendus ; le plus proche des autres : "
        "{reason}",
        "{found} matching plot(s) out of {count}; the closest of the others: {reason}",
    ),
    "figure.lines": (
        "le graphique a {got} courbe(s), au moins {count} attendues",
        "the plot has {got} curve(s), at least {count} expected",
    ),
    "figure.legend": (
        "la légende a {got} entrée(s), au moins {count} attendues",
        "the legend has {got} entries, at least {count} expected",
    ),
    "figure.legend_entry": (
        "aucune entrée de la légende ne contient « {text} »",
        "no legend entry contains “{text}”",
    ),
    "figure.labels": (
        "les axes ne sont pas tous les deux nommés (xlabel, ylabel)",
        "the axes are not both labelled (xlabel, ylabel)",
    ),
    "figure.scale": (
        "l'axe {axis} est en échelle « {got} », « {expected} » attendue",
        "the {axis} axis has the “{got}” scale, “{expected}” expected",
    ),
    "figure.scatter": (
        "le graphique ne montre pas de nuage de points (scatter)",
        "the plot shows no scatter points",
    ),
    "figure.contour": (
        "le graphique ne trace pas de contour (la frontière de décision)",
        "the plot draws no contour (the decision boundary)",
    ),
    "figure.heatmap": (
        "le graphique ne montre pas de carte de chaleur de forme {shape}",
        "the plot shows no heatmap of shape {shape}",
    ),
    "figure.bars": (
        "le graphique a moins de {count} barres",
        "the plot has fewer than {count} bars",
    ),
    "figure.not_plotted": (
        "{what} : aucune courbe tracée ne correspond aux valeurs que votre code calcule "
        "(courbe saisie à la main, ou calculée autrement ?)",
        "{what}: no plotted curve matches the values your code computes (typed in by hand, or "
        "computed otherwise?)",
    ),
    # grader.checks.static, through expect.no_library_call
    "static.unanalysable": (
        "le code du notebook est trop volumineux ou trop imbriqué pour être analysé : compté "
        "comme un appel à {names}, que l'analyse ne peut pas exclure",
        "the notebook's code is too large or too deeply nested to be analysed: counted as a call "
        "to {names}, which the analysis cannot rule out",
    ),
    "static.runtime_code": (
        "le notebook exécute du code connu seulement à l'exécution (`{code}`) : compté comme un "
        "appel à {names}, que l'analyse ne peut pas exclure",
        "the notebook runs code known only when it runs (`{code}`): counted as a call to "
        "{names}, which the analysis cannot rule out",
    ),
    "static.path_first": ("{path} appelle {name}", "{path} calls {name}"),
    "static.path_next": ("{path}, qui appelle {name}", "{path}, which calls {name}"),
    "static.which": ("{path}, qui", "{path}, which"),
    "static.dynamic": (
        "{subject} accède dynamiquement à `{code}` : compté comme un appel à {names}, que "
        "l'analyse ne peut pas exclure",
        "{subject} reaches `{code}` dynamically: counted as a call to {names}, which the "
        "analysis cannot rule out",
    ),
    "static.calls": (
        "{subject} appelle `{code}` au lieu de l'implémenter",
        "{subject} calls `{code}` instead of implementing it",
    ),
    "static.calls_alias": (
        "{subject} appelle `{code}` (c'est-à-dire {names}) au lieu de l'implémenter",
        "{subject} calls `{code}` (that is {names}) instead of implementing it",
    ),
    # files of a submission the kernel never saw (grader.submission)
    "skipped_file": ("fichier ignoré : {reason}", "file skipped: {reason}"),
    "skip.symlink": ("lien symbolique", "symbolic link"),
    "skip.hardlink": ("lien physique", "hard link"),
    "skip.fifo": ("tube nommé", "named pipe"),
    "skip.socket": ("socket", "socket"),
    "skip.device": ("périphérique", "device"),
    "skip.budget": (
        "budget de taille dépassé (ce fichier et les suivants n'ont pas été copiés)",
        "size budget exceeded (this file and the following ones were not copied)",
    ),
    "skip.notebook-size": (
        "budget de taille dépassé (notebook trop volumineux, non lu)",
        "size budget exceeded (notebook too large, not read)",
    ),
    "skip.depth": (
        "dossier trop profond ou chemin trop long",
        "folder nested too deep, or path too long",
    ),
    "skip.unreadable": ("illisible ou impossible à copier", "unreadable, or could not be copied"),
    "skip.too-many": (
        "trop de fichiers ignorés, la copie s'arrête ici",
        "too many files skipped, the copy stops here",
    ),
    "load.missing": ("le dépôt {name} est introuvable", "the submission {name} cannot be found"),
    "load.too_large": (
        "le notebook {name} dépasse la taille limite de {limit} : il n'a été ni lu ni exécuté",
        "the notebook {name} is over the size limit of {limit}: it was neither read nor run",
    ),
    "load.refused": (
        "le notebook {name} n'a pas été lu : {reason}",
        "the notebook {name} was not read: {reason}",
    ),
    "load.not_found": ("introuvable", "not found"),
    "load.not_one": (
        "le dossier doit contenir exactement un notebook (trouvé : {found})",
        "the folder must hold exactly one notebook (found: {found})",
    ),
    "load.not_one_ignored": (
        "le dossier doit contenir exactement un notebook (trouvé : {found}) ; {ignored}",
        "the folder must hold exactly one notebook (found: {found}); {ignored}",
    ),
    "load.none": ("aucun", "none"),
    "load.ignored": ("{name} ignoré : {reason}", "{name} ignored: {reason}"),
    "load.unreadable": (
        "le notebook {name} est illisible ({error})",
        "the notebook {name} cannot be read ({error})",
    ),
    # a self-check's lines: grader check and verifier() (grader.report.check_lines)
    "selfcheck.title": (
        "{title} — vérifications publiques de {name}",
        "{title} — public checks of {name}",
    ),
    "selfcheck.title_live": ("{title} — vérifications publiques", "{title} — public checks"),
    "selfcheck.unknown_part": (
        "partie inconnue : {part} (les parties : {parts})",
        "unknown part: {part} (the parts: {parts})",
    ),
    "selfcheck.usage": (
        'verifier("partie") ou verifier() — les parties : {parts}',
        'verifier("part") or verifier() — the parts: {parts}',
    ),
    "selfcheck.saved_notebook_only": (
        "cette vérification lit le notebook enregistré (ses cellules, leurs sorties) : "
        "lancez grader check sur le fichier",
        "this check reads the saved notebook (its cells, their outputs): run grader check on "
        "the file",
    ),
    "selfcheck.execution": ("Exécution : {status}", "Execution: {status}"),
    "selfcheck.cell": ("cellule {number} : {status}", "cell {number}: {status}"),
    "selfcheck.total": (
        "Note indicative : {points} / {public} sur les vérifications publiques",
        "Indicative mark: {points} / {public} on the public checks",
    ),
    "selfcheck.hidden_to_come": (
        "{points} points de vérifications cachées",
        "{points} points of hidden checks",
    ),
    "selfcheck.manual_to_come": (
        "{points} points notés à la main",
        "{points} points marked by hand",
    ),
    "selfcheck.to_come": (
        "{total} ; {items} s'y ajouteront à la correction",
        "{total}; {items} will be added at grading",
    ),
    "selfcheck.out_of": ("{text} (sur {total})", "{text} (out of {total})"),
    # grader.checks.runner
    "check.passed": ("correct", "correct"),
    "check.hidden_skipped": (
        "vérification cachée : exécutée à la correction",
        "hidden check: run at grading time",
    ),
    "check.out_of_memory": (
        "la vérification a manqué de mémoire : une réponse du notebook est sans doute trop "
        "volumineuse",
        "the check ran out of memory: an answer of the notebook is probably too large",
    ),
    "check.check_error": (
        "le code de vérification a rencontré une erreur (à revoir par l'enseignant) : aucun "
        "point n'est perdu, ceux du critère sont réservés",
        "the checking code met an error (for the instructor to look at): no point is lost, the "
        "criterion's points are held back",
    ),
    "check.not_executed": (
        "le notebook n'a pas pu être exécuté",
        "the notebook could not be run",
    ),
    "check.not_loaded": ("le notebook n'a pas pu être chargé", "the notebook could not be loaded"),
    # grader.checks.probe
    "subject.function": ("la fonction `{name}`", "the function `{name}`"),
    "subject.variable": ("la variable `{name}`", "the variable `{name}`"),
    "subject.your_code": ("votre code", "your code"),
    "subject.figures": (
        "le relevé des figures du notebook",
        "the record of the notebook's figures",
    ),
    "probe.kernel_gone": (
        "le noyau ne tourne plus (voir le journal d'exécution) : impossible de vérifier {subject}",
        "the kernel is no longer running (see the execution log): {subject} could not be checked",
    ),
    "probe.missing_function": (
        "la fonction `{name}` n'est pas définie dans le notebook",
        "the function `{name}` is not defined in the notebook",
    ),
    "probe.missing_variable": (
        "la variable `{name}` n'est pas définie dans le notebook",
        "the variable `{name}` is not defined in the notebook",
    ),
    "probe.raised": ("{subject} a levé {type} : {message}", "{subject} raised {type}: {message}"),
    "probe.raised_bare": ("{subject} a levé {type}", "{subject} raised {type}"),
    "probe.not_implemented": (
        "{subject} n'est pas encore implémentée",
        "{subject} is not implemented yet",
    ),
    "probe.unreadable": (
        "{subject} a renvoyé une valeur illisible",
        "{subject} returned a value that cannot be read",
    ),
    "probe.no_value": (
        "{subject} n'a renvoyé aucune valeur (noyau modifié ?)",
        "{subject} returned no value (a modified kernel?)",
    ),
    "probe.too_large": (
        "{subject} a renvoyé une réponse trop volumineuse : {what} (limite : {limit})",
        "{subject} returned an answer too large: {what} (limit: {limit})",
    ),
    "probe.too_large_killed": (
        "{subject} a renvoyé une valeur trop volumineuse : le noyau a été arrêté",
        "{subject} returned a value too large: the kernel was stopped",
    ),
    "probe.timeout": (
        "{subject} n'a pas répondu en {limit}",
        "{subject} gave no answer in {limit}",
    ),
    "probe.protocol": (
        "pendant la vérification de {subject}, le noyau a envoyé un message que le protocole "
        "Jupyter interdit : il a été arrêté",
        "while {subject} was checked, the kernel sent a message that the Jupyter protocol "
        "forbids: it was stopped",
    ),
    "probe.kernel_died": (
        "le noyau s'est arrêté pendant la vérification de {subject}",
        "the kernel stopped while {subject} was checked",
    ),
    "probe.file_unreadable": (
        "le fichier `{name}` ne peut pas être lu",
        "the file `{name}` cannot be read",
    ),
    "probe.file_missing": (
        "le fichier `{name}` est introuvable dans le dossier du notebook",
        "the file `{name}` is not in the notebook's folder",
    ),
    "probe.file_symlink": (
        "le fichier `{name}` est un lien symbolique : refusé",
        "the file `{name}` is a symbolic link: refused",
    ),
    "probe.file_not_regular": (
        "`{name}` n'est pas un fichier ordinaire",
        "`{name}` is not a regular file",
    ),
    "probe.file_too_large": (
        "le fichier `{name}` dépasse {limit}",
        "the file `{name}` is over {limit}",
    ),
    # what passed a limit of an answer (grader.sandbox.bounded, grader.checks.probe)
    "large.text_bytes": ("{size} de texte", "{size} of text"),
    "large.text_chars": ("un texte de {count} caractères", "a text of {count} characters"),
    "large.characters": ("{count} caractères", "{count} characters"),
    "large.array": (
        "un tableau de forme {shape} ({count} octets)",
        "an array of shape {shape} ({count} bytes)",
    ),
    "large.more_values": ("plus de {count} valeurs", "more than {count} values"),
    "large.values": ("{count} valeurs", "{count} values"),
    "large.more_levels": (
        "plus de {count} niveaux d'imbrication",
        "more than {count} levels of nesting",
    ),
    "large.levels": ("{count} niveaux", "{count} levels"),
    # the limits of a run (grader.sandbox.messages)
    "limit.interrupted": (
        "La cellule {cell} a dépassé la limite de {limit} et a été interrompue ; les cellules "
        "suivantes ont été exécutées.",
        "Cell {cell} went over its time limit, {limit}, and was interrupted; the next cells "
        "were run.",
    ),
    "limit.truncated": (
        "La sortie de la cellule {cell} dépassait la limite de {limit} : elle a été tronquée.",
        "The output of cell {cell} went over its {limit} limit: it was cut.",
    ),
    "limit.disk_full": (
        "La cellule {cell} a dépassé l'espace disque autorisé ({limit} pour le dossier du "
        "notebook, autant pour /tmp) : l'écriture a échoué.",
        "Cell {cell} went over the disk space allowed ({limit} for the notebook's folder, as "
        "much for /tmp): the write failed.",
    ),
    "limit.restarted": (
        "Le notebook a été relancé dans un nouveau noyau sans la cellule {cell} (les cellules "
        "précédentes ont été réexécutées) pour vérifier la suite.",
        "The notebook was started again in a new kernel without cell {cell} (the cells before "
        "it were run again) to check the rest.",
    ),
    "limit.notebook_timeout": (
        "Le notebook a dépassé sa durée limite de {limit} ; les cellules suivantes n'ont pas "
        "été exécutées.",
        "The notebook went over its time limit of {limit}; the next cells were not run.",
    ),
    "limit.cell_timeout": (
        "La cellule {cell} a dépassé la limite de {limit} et ne répondait plus à "
        "l'interruption ; le noyau a été arrêté.",
        "Cell {cell} went over its time limit, {limit}, and did not answer the interrupt; the "
        "kernel was stopped.",
    ),
    "limit.memory": (
        "{subject} a dépassé la limite de mémoire de {limit} (processus enfants compris) ; le "
        "noyau a été arrêté.",
        "{subject} went over the memory limit of {limit} (child processes included); the "
        "kernel was stopped.",
    ),
    "limit.output": (
        "{subject} a produit trop de sortie (plus de {limit} d'un coup) ; le noyau a été arrêté.",
        "{subject} produced too much output (more than {limit} at once); the kernel was stopped.",
    ),
    "limit.killed": (
        "Le noyau s'est arrêté pendant l'exécution de {where} (sortie brutale, signal ou "
        "plantage) ; les cellules suivantes n'ont pas été exécutées.",
        "The kernel stopped while {where} was running (an abrupt exit, a signal or a crash); "
        "the next cells were not run.",
    ),
    "limit.protocol": (
        "Pendant l'exécution de {where}, le noyau a envoyé au correcteur un message que le "
        "protocole Jupyter interdit (illisible, rejoué, mal signé ou répondant à une demande "
        "jamais faite) ; le noyau a été arrêté et les cellules suivantes n'ont pas été "
        "exécutées.",
        "While {where} was running, the kernel sent the grader a message that the Jupyter "
        "protocol forbids (unreadable, replayed, badly signed, or answering a request never "
        "made); the kernel was stopped and the next cells were not run.",
    ),
    "limit.startup_failed": (
        "Le noyau n'a pas pu démarrer : ce n'est pas de votre fait, l'enseignant a été prévenu.",
        "The kernel could not start: this is not your doing, the instructor has been told.",
    ),
    "shell.skipped": (
        "Les commandes shell sont ignorées à la correction ; les paquets du cours sont déjà "
        "installés.",
        "Shell commands are skipped at grading; the course's packages are already installed.",
    ),
    "limit.cell_time": (
        "{cpu} de calcul ({wall} de durée au plus)",
        "{cpu} of computing time ({wall} in all at most)",
    ),
    "where.cell": ("la cellule {cell}", "cell {cell}"),
    "where.notebook": ("le notebook", "the notebook"),
    "subject.cell": ("La cellule {cell}", "Cell {cell}"),
    "subject.notebook": ("Le notebook", "The notebook"),
}
