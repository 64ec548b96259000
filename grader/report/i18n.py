"""The words of the reports in French (the course's language, the default) and in English."""

from __future__ import annotations

from collections.abc import Callable

from grader.formats import Lang as Lang
from grader.messages import CATALOGUE as MESSAGES

LANGS: tuple[Lang, ...] = ("fr", "en")

# key -> (French, English); a missing key is a bug, caught by the catalogue test.
CATALOGUE: dict[str, tuple[str, str]] = {
    # outcomes, execution statuses, cell statuses
    "outcome.passed": ("réussi", "passed"),
    "outcome.failed": ("échoué", "failed"),
    "outcome.error": ("erreur", "error"),
    "outcome.skipped": ("non exécuté", "not run"),
    "outcome.check-error": ("à revoir", "to review"),
    "outcome.carried": ("réussi (erreur reportée)", "passed (error carried forward)"),
    "status.ok": ("terminée", "finished"),
    "status.error": ("terminée avec des erreurs", "finished with errors"),
    "status.timeout": ("temps dépassé", "time limit hit"),
    "status.memory": ("mémoire dépassée", "memory limit hit"),
    "status.output-limit": ("sortie trop volumineuse", "output too large"),
    "status.killed": ("noyau arrêté", "kernel stopped"),
    "status.protocol-error": ("protocole Jupyter enfreint", "Jupyter protocol broken"),
    "status.startup-failed": ("non exécuté", "not run"),
    "cell.ok": ("ok", "ok"),
    "cell.error": ("erreur", "error"),
    "cell.timeout": ("temps dépassé", "time limit hit"),
    "cell.output-limit": ("sortie tronquée", "output cut"),
    "cell.killed": ("noyau arrêté", "kernel stopped"),
    "cell.not-run": ("non exécutée", "not run"),
    # the student's report
    "skipped_files": (
        "Fichiers de votre dépôt qui n'ont pas été copiés pour l'exécution",
        "Files of your submission that were not copied for the run",
    ),
    "colon": (" :", ":"),  # French puts a space before a colon, English none
    "student": ("Étudiant·e", "Student"),
    "graded_on": ("corrigé le", "graded on"),
    "submission": ("dépôt", "submission"),
    "criteria": ("Critères", "Criteria"),
    "awaiting_mark": ("à noter par l'enseignant·e", "awaiting the instructor's mark"),
    "hidden_check": ("(vérification cachée)", "(hidden check)"),
    # carry-forward (grader/checks/carry.py) and checks whose own code raised
    "carried_from": (
        "Erreur reportée de `{name}` : ce calcul est juste avec une version correcte de "
        "`{name}`, déjà pénalisée plus haut ; voici ce que donnait la vôtre.",
        "Error carried forward from `{name}`: this is right with a correct `{name}`, already "
        "penalised above; here is what yours gave.",
    ),
    "held_back": (
        "{points} point(s) réservé(s) : une vérification de ce critère a rencontré une erreur "
        "dans son propre code (à revoir par l'enseignant·e) ; vous ne perdez rien pour elle.",
        "{points} point(s) held back: a check of this criterion hit an error in its own code "
        "(for the instructor to review); it costs you nothing.",
    ),
    "check_errors": (
        "Vérifications à revoir (erreur dans leur propre code)",
        "Checks to review (an error in their own code)",
    ),
    "execution": ("Exécution", "Execution"),
    "execution_status": ("Statut", "Status"),
    "duration": ("durée", "duration"),
    "sandbox": ("bac à sable", "sandbox"),
    "cell": ("Cellule", "Cell"),
    "error_col": ("Erreur", "Error"),
    "duration_col": ("Durée", "Duration"),
    "all_cells_ok": (
        "Toutes les cellules se sont exécutées sans erreur.",
        "Every cell ran without error.",
    ),
    "group": ("Groupe", "Group"),
    "group_text": (
        "rendu en groupe avec {members} : le dépôt est noté une fois, pour chacun·e.",
        "handed in as a group with {members}: the submission is graded once, for each member.",
    ),
    "adjustment": ("Ajustement individuel", "Individual adjustment"),
    "adjustment_text": (
        "{points} point(s) sur votre note seule, après la note du groupe.",
        "{points} point(s) on your grade alone, after the group's grade.",
    ),
    "late": ("Retard", "Late submission"),
    "late_text": (
        "rendu le {submitted} pour une échéance au {due} : {days} jour(s) de retard, "
        "{penalty} point(s) retiré(s) de la note.",
        "handed in on {submitted}, due {due}: {days} day(s) late, "
        "{penalty} point(s) taken off the score.",
    ),
    "instructor_comment": ("Commentaire de l'enseignant·e", "Instructor's comment"),
    "expected": ("attendu", "expected"),
    "got": ("obtenu", "got"),
    "worst_cells": (
        "les cases les plus éloignées de la référence sont surlignées",
        "the cells furthest from the reference are highlighted",
    ),
    "figure_of_cell": ("votre figure (cellule {cell})", "your figure (cell {cell})"),
    "figure_unreadable": (
        "la figure n'a pas pu être affichée (image illisible)",
        "the figure could not be shown (unreadable image)",
    ),
    "your_weights": ("vos poids d'attention", "your attention weights"),
    "pdf_page": ("page {number} sur {count}", "page {number} of {count}"),
    "pdf_pages_left_out": (
        "les {count} autres pages ne sont pas montrées",
        "the other {count} pages are not shown",
    ),
    "reference_weights": ("poids de référence", "reference weights"),
    "your_tokens": ("vos tokens", "your tokens"),
    "reference_tokens": ("tokens de référence", "reference tokens"),
    "tokens_match": ("les tokens coïncident", "the tokens match"),
    "first_difference": ("premier écart au token {index}", "first difference at token {index}"),
    "mean": ("moyenne", "mean"),
    "shapes_differ": (
        "{what} : forme {got} au lieu de {expected}",
        "{what}: shape {got} instead of {expected}",
    ),
    # the class summary
    "class_summary": ("synthèse de la classe", "class summary"),
    "submissions_count": ("dépôts", "submissions"),
    "median": ("médiane", "median"),
    "score_distribution": ("Répartition des notes", "Score distribution"),
    "histogram_label": ("histogramme des notes", "score histogram"),
    "pass_by_criterion": ("Réussite par critère", "Pass rate per criterion"),
    "criterion": ("Critère", "Criterion"),
    "mean_points": ("Points moyens", "Mean points"),
    "full_marks": ("Note maximale", "Full marks"),
    "manual_marking": (
        "Critères notés à la main : {marked} / {total} réponse(s) notée(s). La page de "
        "correction (sur 127.0.0.1) se lance dans le dossier de cette synthèse :",
        "Criteria marked by hand: {marked} / {total} answer(s) marked. The marking page (on "
        "127.0.0.1) is started in this summary's folder:",
    ),
    "pass_by_check": ("Réussite par vérification", "Pass rate per check"),
    "check": ("Vérification", "Check"),
    "passed_col": ("Réussite", "Passed"),
    "failures_col": ("Échecs", "Failures"),
    "errors_col": ("Erreurs", "Errors"),
    "hidden_short": ("(cachée)", "(hidden)"),
    "failing_notebooks": ("Notebooks en échec", "Failing notebooks"),
    "no_failing": ("Aucun notebook en échec.", "No failing notebook."),
    "slowest_notebooks": ("Notebooks les plus lents", "Slowest notebooks"),
    "peak_memory_col": ("Mémoire maximale", "Peak memory"),
    "memory_peaks": (
        "Mémoire maximale d'un noyau : médiane {median}, maximum {max} ({student}), "
        "sur {measured} notebook(s) mesuré(s).",
        "Kernels' peak memory: median {median}, max {max} ({student}), "
        "over {measured} measured notebook(s).",
    ),
    "students": ("Étudiant·es", "Students"),
    "score_col": ("Note", "Score"),
    "quiz_items": ("Analyse des questions du QCM", "Quiz item analysis"),
    # the class's code similarity (grader/similarity)
    "similarity": ("Similarité du code", "Code similarity"),
    "similarity_link": (
        "Paires de notebooks dont le code se ressemble",
        "Pairs of notebooks whose code is alike",
    ),
    "similarity_caution": (
        "Une similarité élevée est une raison de regarder de plus près, jamais un verdict : "
        "deux étudiant·es peuvent écrire le même code de bonne foi, et seule la lecture des "
        "deux notebooks permet d'en juger.",
        "A high similarity is a reason to look closer, never a verdict: two students may write "
        "the same code in good faith, and only reading both notebooks can tell.",
    ),
    "similarity_method": (
        "{compared} notebook(s) comparé(s) : le code des cellules, sans celui du sujet distribué "
        "ni les imports, en empreintes (winnowing) insensibles aux noms de variables, aux "
        "valeurs, aux commentaires et à l'ordre des cellules. Le code que toute la classe ou la "
        "solution partage compte moins. Part : ce que la paire a en commun, rapporté au code "
        "propre de chacun·e.",
        "{compared} notebook(s) compared: the code of their cells, without the released "
        "template's or the imports, as fingerprints (winnowing) blind to variable names, "
        "values, comments and cell order. Code the whole class or the solution shares counts "
        "less. Share: what the pair has in common, over each one's own code.",
    ),
    "similarity_threshold": (
        "Seuil tiré de la répartition de cette classe (valeurs extrêmes) : {threshold}. "
        "{flagged} paire(s) au-dessus.",
        "Threshold set from this class's distribution (outliers): {threshold}. "
        "{flagged} pair(s) above it.",
    ),
    "similarity_none": ("Aucune paire ne partage de code propre.", "No pair shares own code."),
    "pair": ("Paire", "Pair"),
    "share_of": ("part de {student}", "share of {student}"),
    "share_first": ("Part du 1er", "Share of 1st"),
    "share_second": ("Part du 2e", "Share of 2nd"),
    "stands_out": ("se détache", "stands out"),
    "same_group": ("même groupe (déclaré)", "same group (declared)"),
    "pairs_shown": (
        "Les {shown} premières paires sur {total} ; toutes sont dans similarity.csv.",
        "The first {shown} pairs of {total}; every one is in similarity.csv.",
    ),
    "matching_cells": ("Cellules en commun", "Cells in common"),
    "cell_number": ("cellule {number}", "cell {number}"),
    "lines_cut": ("… (suite non affichée)", "… (rest not shown)"),
    "lines_before": ("… (début non affiché)", "… (start not shown)"),
    "not_compared": ("Notebooks non comparés ou tronqués", "Notebooks not compared, or cut"),
    "similarity_note.unreadable": (
        "notebook illisible (JSON invalide)",
        "unreadable notebook (bad JSON)",
    ),
    "similarity_note.no-cells": (
        "notebook sans liste de cellules",
        "a notebook without a cell list",
    ),
    "similarity_note.cells-cut": (
        "seules les {count} premières cellules de code sont comparées",
        "only the first {count} code cells are compared",
    ),
    "similarity_note.cell-cut": (
        "cellule {number} coupée à {count} caractères",
        "cell {number} cut at {count} characters",
    ),
    "similarity_note.tokens-cut": (
        "comparaison limitée aux {count} premiers tokens",
        "compared on its first {count} tokens only",
    ),
    "similarity_note.no-code": (
        "aucune cellule de code : non comparé",
        "no code cell: not compared",
    ),
    "similarity_note.unknown": (
        "dépôt inconnu du carnet de notes : non comparé",
        "submission unknown to the gradebook: not compared",
    ),
    "similarity_note.instructor": (
        "notebook de l'enseignant·e (solution ou exemple) : non comparé",
        "the instructor's notebook (solution or example): not compared",
    ),
    "similarity_note.unread": ("non comparé : {problem}", "not compared: {problem}"),
}


def translator(lang: Lang) -> Callable[..., str]:
    """t("late_text", days=2) -> the sentence in `lang`, with its fields filled in; the
    messages of grader.messages (a skipped file's reason) by their key too."""
    column = LANGS.index(lang)

    def translate(key: str, **fields: object) -> str:
        text = (CATALOGUE.get(key) or MESSAGES[key])[column]
        return text.format(**fields) if fields else text

    return translate
