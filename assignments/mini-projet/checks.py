"""Checks of the mini-projet: the student's own notebook, read as a whole.

Automated: it ran end to end within the limits, it has the required sections (markdown headings
with content under them), and its predictions file, read by the grader from the notebook's
folder, scored by macro-F1 on labels that stay in hidden/ (never copied next to a submission,
never visible to a kernel). The rest of the rubric is marked by the instructor.
"""

import csv
import io
import re
import unicodedata
from pathlib import Path

from grader.checks import CheckFailed, check
from grader.references.metrics import macro_f1
from grader.results import CellStatus, ExecutionStatus

HERE = Path(__file__).resolve().parent
PREDICTIONS = "predictions.csv"
MAX_PREDICTION_BYTES = 1 << 20
MIN_WORDS = 25  # prose under a heading that counts as content
PLACEHOLDER = "a completer"
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
# Required section -> heading beginnings accepted (lower case, accents and numbering removed).
SECTIONS = {
    "Introduction": ("introduction", "problematique", "contexte"),
    "Données": ("donnees", "jeu de donnees", "corpus"),
    "Méthode": ("methode", "modele", "approche"),
    "Résultats": ("resultats", "evaluation"),
    "Conclusion": ("conclusion", "bilan"),
}
HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


def _plain(text):
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    letters = re.sub(r"^[\divx]+\s*[.)]\s*", "", letters.strip())  # "2. Données", "iv) ..."
    return re.sub(r"[^a-z0-9 ]+", " ", letters).strip()


def _blocks(nb):
    """The notebook as a flat list: ("heading", level, title) / ("prose", words) / ("code", ok)."""
    statuses = {cell.index: cell.status for cell in nb.execution.cells}
    blocks = []
    for index, (cell_type, source) in enumerate(nb.cells()):
        if cell_type == "code":
            ran = statuses.get(index) is CellStatus.OK and bool(source.strip())
            blocks.append(("code", ran))
        elif cell_type == "markdown":
            for line in source.splitlines():
                heading = HEADING.match(line.strip())
                if line.strip() in MARKERS:
                    continue
                if heading:
                    blocks.append(("heading", len(heading.group(1)), heading.group(2)))
                elif PLACEHOLDER not in _plain(line):
                    blocks.append(("prose", len(line.split())))
    return blocks


def _section_content(blocks, start, level):
    """Words of prose and code cells that ran, from a heading to the next one as high."""
    words, code_ran = 0, False
    for block in blocks[start + 1 :]:
        if block[0] == "heading" and block[1] <= level:
            break
        if block[0] == "prose":
            words += block[1]
        elif block[0] == "code":
            code_ran = code_ran or block[1]
    return words, code_ran


def _require_section(nb, name):
    accepted = SECTIONS[name]
    blocks = _blocks(nb)
    found = [
        (position, block[1])
        for position, block in enumerate(blocks)
        if block[0] == "heading" and _plain(block[2]).startswith(accepted)
    ]
    if not found:
        raise CheckFailed(f"section « {name} » : aucun titre Markdown « ## {name} »")
    for position, level in found:
        words, code_ran = _section_content(blocks, position, level)
        if words >= MIN_WORDS or code_ran:
            return
    raise CheckFailed(
        f"section « {name} » : vide ({words} mots rédigés, aucun code exécuté sans erreur) ; "
        f"attendu au moins {MIN_WORDS} mots ou du code qui s'exécute"
    )


@check("projet.execution")
def runs_end_to_end(nb, rng):
    record = nb.execution
    failed = [cell for cell in record.cells if cell.status is not CellStatus.OK]
    if record.status is ExecutionStatus.OK and not failed:
        return
    if failed:
        first = failed[0]
        reason = first.error or first.status.value
        raise CheckFailed(
            f"le notebook ne s'exécute pas de bout en bout : cellule {first.index + 1} "
            f"({reason}){f', et {len(failed) - 1} autre(s)' if len(failed) > 1 else ''}"
        )
    raise CheckFailed(record.message or f"le notebook ne s'exécute pas ({record.status.value})")


@check("projet.section.introduction")
def section_introduction(nb, rng):
    _require_section(nb, "Introduction")


@check("projet.section.donnees")
def section_donnees(nb, rng):
    _require_section(nb, "Données")


@check("projet.section.methode")
def section_methode(nb, rng):
    _require_section(nb, "Méthode")


@check("projet.section.resultats")
def section_resultats(nb, rng):
    _require_section(nb, "Résultats")


@check("projet.section.conclusion")
def section_conclusion(nb, rng):
    _require_section(nb, "Conclusion")


def _read_csv(path, key):
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["id"]: row[key] for row in csv.DictReader(handle)}


def _predictions(nb):
    """The notebook's predictions, one per test id, with a label the training data knows."""
    test_ids = list(_read_csv(HERE / "donnees" / "test.csv", "texte"))
    labels = set(_read_csv(HERE / "donnees" / "train.csv", "label").values())
    raw = nb.read_file(PREDICTIONS, MAX_PREDICTION_BYTES)
    try:
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise CheckFailed(f"`{PREDICTIONS}` illisible ({type(exc).__name__})") from None
    if not rows or [cell.strip() for cell in rows[0][:2]] != ["id", "label"]:
        raise CheckFailed(f"`{PREDICTIONS}` : la première ligne doit être « id,label »")
    predicted = {}
    for number, row in enumerate(rows[1:], start=2):
        if len(row) < 2:
            raise CheckFailed(f"`{PREDICTIONS}`, ligne {number} : attendu « id,label »")
        identifier, label = row[0].strip(), row[1].strip()
        if identifier in predicted:
            raise CheckFailed(f"`{PREDICTIONS}`, ligne {number} : `{identifier}` en double")
        if label not in labels:
            raise CheckFailed(
                f"`{PREDICTIONS}`, ligne {number} : étiquette inconnue {label!r} "
                f"(attendu : {', '.join(sorted(labels))})"
            )
        predicted[identifier] = label
    missing = [i for i in test_ids if i not in predicted]
    unknown = [i for i in predicted if i not in set(test_ids)]
    if missing or unknown:
        raise CheckFailed(
            f"`{PREDICTIONS}` : {len(missing)} texte(s) de test sans prédiction, "
            f"{len(unknown)} identifiant(s) inconnu(s)"
            + (f" (par exemple `{(missing or unknown)[0]}`)" if missing or unknown else "")
        )
    return [predicted[i] for i in test_ids], test_ids


@check("projet.predictions")
def predictions_file(nb, rng):
    _predictions(nb)


def _require_macro_f1(nb, threshold):
    predicted, test_ids = _predictions(nb)
    hidden = _read_csv(HERE / "hidden" / "test_labels.csv", "label")
    score = macro_f1([hidden[i] for i in test_ids], predicted)
    if score < threshold:
        raise CheckFailed(f"F1 macro sur le test caché : {score:.3f}, sous le seuil {threshold}")


@check("projet.f1.50", hidden=True)
def macro_f1_050(nb, rng):
    _require_macro_f1(nb, 0.50)


@check("projet.f1.70", hidden=True)
def macro_f1_070(nb, rng):
    _require_macro_f1(nb, 0.70)


@check("projet.f1.85", hidden=True)
def macro_f1_085(nb, rng):
    _require_macro_f1(nb, 0.85)
