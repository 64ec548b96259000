"""Checks of the mini-projet: a pair's own notebook and its two-page PDF report.

Shared by every topic: the notebook ran end to end within the limits, it is reproducible (a
second run in a fresh kernel prints the same numbers) and fixes its seeds, and it has the
required sections (markdown headings with content under them).

The topic is the pair's choice, declared in the template's first cell (`SUJET = "..."`); each
topic's outputs are read by the grader from the notebook's folder and measured against
references that stay in hidden/ (never copied next to a submission, never visible to a kernel):
classification, macro-F1 of `predictions.csv`; extraction, field-level F1 of the JSON outputs
in `sorties.json`; résumé, ROUGE-1 with French words kept whole; génération guidée, the share of
outputs that parse and match the requested format; assistant pédagogique, marked by hand.

The PDF report beside the notebook (assignment.yaml's `pdf_report`) is read in the grader's
process tree only (grader.pdf): its pages, its four sections, its words and figures are checked
here, its pages drawn in the student's report and on the marking page; its content is marked by
the instructor, as the rest of the rubric.
"""

import ast
import csv
import functools
import io
import json
import re
import unicodedata
from pathlib import Path

import jsonschema

from grader import formats
from grader.assignment.spec import AssignmentSpec
from grader.bench.text import normalise, rouge_n
from grader.checks import CheckFailed, NotApplicable, check
from grader.checks.probe import ProbeError
from grader.pdf import PdfLimits, PdfReport, PdfUnreadable, read_pdf
from grader.references.metrics import macro_f1
from grader.report.sections import pdf_pages
from grader.results import CellStatus, ExecutionStatus
from grader.specfile import load_spec

HERE = Path(__file__).resolve().parent
REPORT = load_spec(AssignmentSpec, HERE / "assignment.yaml").spec.pdf_report
PREDICTIONS = "predictions.csv"  # the classification's
OUTPUTS = "sorties.json"  # every other topic's: {document id: output}
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


def _section_check(check_id, name, find):
    """The check that `find` finds the section `name`: in the notebook or in the PDF report."""

    @check(check_id)
    def section(nb, rng):
        find(nb, name)

    return section


introduction = _section_check("projet.section.introduction", "Introduction", _require_section)
donnees = _section_check("projet.section.donnees", "Données", _require_section)
methode = _section_check("projet.section.methode", "Méthode", _require_section)
resultats = _section_check("projet.section.resultats", "Résultats", _require_section)
conclusion = _section_check("projet.section.conclusion", "Conclusion", _require_section)


def _read_csv(path, key):
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["id"]: row[key] for row in csv.DictReader(handle)}


def _require_ids(name, found, ids, lacking):
    """The file `name` has an entry for each of `ids` and for nothing else; else a failure that
    counts the ids it lacks (`lacking` says what they are) and those it does not know."""
    wanted = set(ids)
    missing = [i for i in ids if i not in found]
    unknown = [i for i in found if i not in wanted]
    if missing or unknown:
        raise CheckFailed(
            f"`{name}` : {len(missing)} {lacking}, {len(unknown)} identifiant(s) inconnu(s) "
            f"(par exemple `{str((missing or unknown)[0])[:40]}`)"
        )


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
    _require_ids(PREDICTIONS, predicted, test_ids, "texte(s) de test sans prédiction")
    return [predicted[i] for i in test_ids], test_ids


# --- shared by every topic: reproducible, seeds fixed ---------------------------------------

NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?(?:e-?\d+)?")
SEEDS = re.compile(
    r"\b(?:random\.seed|manual_seed|manual_seed_all|set_seed)\s*\(\s*\w"
    r"|\bdefault_rng\s*\(\s*\d|\brandom_state\s*=\s*\d|\bRandom\s*\(\s*\d"
)


def _printed_numbers(outputs):
    """The numbers a cell printed or displayed as text, in order."""
    texts = []
    for output in outputs:
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            texts.append(str(output.get("text", "")))
        elif output.get("output_type") in ("execute_result", "display_data"):
            texts.append(str(output.get("data", {}).get("text/plain", "")))
    return NUMBER.findall("\n".join(texts))


@check("projet.reproductible")
def reproducible(nb, rng):
    code_cells = [i for i, (kind, _) in enumerate(nb.cells()) if kind == "code"]
    if not any(_printed_numbers(nb.outputs(i)) for i in code_cells):
        raise CheckFailed("aucun nombre affiché : le notebook doit afficher ses résultats")
    for index in code_cells:
        second = nb.second_run_outputs(index)
        if second is None:
            raise RuntimeError("assignment.yaml must say run_twice: true")
        first, again = _printed_numbers(nb.outputs(index)), _printed_numbers(second)
        if first != again:
            differing = next(
                ((a, b) for a, b in zip(first, again, strict=False) if a != b),
                (len(first), len(again)),
            )
            raise CheckFailed(
                f"non reproductible : la cellule {index + 1} n'affiche pas les mêmes nombres "
                f"d'une exécution à l'autre ({str(differing[0])[:40]} puis "
                f"{str(differing[1])[:40]}) ; fixez les "
                "graines et évitez ce qui dépend de l'heure ou de l'ordre d'un ensemble"
            )


@check("projet.graines")
def seeds_are_fixed(nb, rng):
    if not SEEDS.search(nb.source):
        raise CheckFailed(
            "aucune graine aléatoire fixée : appelez par exemple random.seed(0), "
            "np.random.seed(0), torch.manual_seed(0) ou transformers.set_seed(0) au début"
        )


# --- the topic of the pair's choice ------------------------------------------------------

TOPICS = {
    "classification": "classification",
    "extraction": "extraction",
    "resume": "résumé",
    "generation": "génération guidée",
    "assistant": "assistant pédagogique",
}
THRESHOLDS = {  # the three levels of each topic's measure
    "classification": (0.50, 0.70, 0.85),
    "extraction": (0.50, 0.70, 0.85),
    "resume": (0.25, 0.35, 0.45),
    "generation": (0.50, 0.80, 1.00),
}
EXTRACTED_FIELDS = ("personne", "ville", "date")
LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+\S")


def declared_topic(nb):
    """The value of the first `SUJET = "..."` of the notebook's code, or None."""
    for kind, source in nb.cells():
        if kind != "code":
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "SUJET" for t in node.targets)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                return node.value.value
    return None


def _topic(nb):
    """The topic's key ("resume"...), French or ASCII spelling; CheckFailed when unknown."""
    declared = declared_topic(nb)
    choices = ", ".join(f"« {name} »" for name in TOPICS.values())
    if declared is None:
        raise CheckFailed(
            f'sujet non déclaré : la première cellule de code doit dire SUJET = "..." ({choices})'
        )
    words = _plain(declared).split()
    if not words or words[0] not in TOPICS:
        raise CheckFailed(f"sujet inconnu {declared[:80]!r} : attendu l'un de {choices}")
    return words[0]


@check("projet.sujet")
def topic_declared(nb, rng):
    _topic(nb)


def _outputs(nb, ids):
    """sorties.json: one output per document id of the topic's data."""
    raw = nb.read_file(OUTPUTS, MAX_PREDICTION_BYTES)
    try:
        found = json.loads(raw.decode("utf-8-sig"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise CheckFailed(f"`{OUTPUTS}` n'est pas du JSON ({type(exc).__name__})") from None
    if not isinstance(found, dict):
        raise CheckFailed(f"`{OUTPUTS}` : attendu un objet {{identifiant: sortie}}")
    _require_ids(OUTPUTS, found, ids, "document(s) sans sortie")
    return [found[i] for i in ids]


def _data_ids(name):
    return list(_read_csv(HERE / "donnees" / name, "id"))


def _hidden_json(name):
    return json.loads((HERE / "hidden" / name).read_text(encoding="utf-8"))


def _as_object(output):
    """An extraction output: an object, or a text that parses as one; else None."""
    if isinstance(output, str):
        try:
            output = json.loads(output)
        except (ValueError, RecursionError):  # "[[[[..." deeper than json can follow
            return None
    return output if isinstance(output, dict) else None


def extraction_f1(outputs, ids):
    gold = _hidden_json("extraction_gold.json")
    predicted = correct = expected = 0
    for identifier, output in zip(ids, outputs, strict=True):
        fields = _as_object(output) or {}
        for name in EXTRACTED_FIELDS:
            value = fields.get(name)
            expected += 1
            if isinstance(value, str) and value.strip():
                predicted += 1
                correct += normalise(value) == normalise(gold[identifier][name])
    precision = correct / predicted if predicted else 0.0
    recall = correct / expected if expected else 0.0
    total = precision + recall
    return precision, recall, 2 * precision * recall / total if total else 0.0


def _follows_format(output, wanted, schema):
    if not isinstance(output, str):
        return False
    if wanted == "json":
        try:
            jsonschema.validate(json.loads(output), schema)
        except (ValueError, RecursionError, jsonschema.ValidationError):
            return False
        return True
    lines = [line for line in output.splitlines() if line.strip()]
    return len(lines) >= 2 and all(LIST_ITEM.match(line) for line in lines)


def _measure(nb, topic):
    """The topic's measure on the hidden references (or the format), and what it is called."""
    if topic == "classification":
        predicted, test_ids = _predictions(nb)
        hidden = _read_csv(HERE / "hidden" / "test_labels.csv", "label")
        return macro_f1([hidden[i] for i in test_ids], predicted), "F1 macro sur le test caché"
    if topic == "extraction":
        ids = _data_ids("extraction.csv")
        return extraction_f1(_outputs(nb, ids), ids)[2], "F1 par champ sur l'annotation cachée"
    if topic == "resume":
        ids = _data_ids("resume.csv")
        references = _hidden_json("resume_references.json")
        outputs = _outputs(nb, ids)
        pairs = zip(ids, outputs, strict=True)
        scores = [rouge_n(o if isinstance(o, str) else "", references[i]).f1 for i, o in pairs]
        return sum(scores) / len(scores), "ROUGE-1 (F) sur les résumés de référence cachés"
    if topic == "generation":
        wanted = _read_csv(HERE / "donnees" / "generation.csv", "format")
        schema = json.loads((HERE / "donnees" / "generation_schema.json").read_text("utf-8"))
        ids = list(wanted)
        outputs = _outputs(nb, ids)
        good = sum(_follows_format(o, wanted[i], schema) for i, o in zip(ids, outputs, strict=True))
        return good / len(ids), "part des sorties au format demandé"
    raise NotApplicable("assistant pédagogique : noté par l'enseignant, pas de mesure automatique")


@check("sujet.sorties")
def topic_outputs(nb, rng):
    topic = _topic(nb)
    if topic == "classification":
        _predictions(nb)
    elif topic == "assistant":
        answers = _outputs(nb, _data_ids("assistant.csv"))
        empty = sum(not (isinstance(a, str) and a.strip()) for a in answers)
        if empty:
            raise CheckFailed(f"`{OUTPUTS}` : {empty} question(s) sans réponse")
    else:
        _measure(nb, topic)


def _require_level(nb, level):
    topic = _topic(nb)
    score, what = _measure(nb, topic)  # the assistant has none: NotApplicable
    threshold = THRESHOLDS[topic][level]
    if score < threshold:
        raise CheckFailed(
            f"{what} : {formats.number(score)}, sous le seuil {formats.number(threshold)}"
        )


@check("sujet.mesure.1", hidden=True)
def topic_measure_1(nb, rng):
    _require_level(nb, 0)


@check("sujet.mesure.2", hidden=True)
def topic_measure_2(nb, rng):
    _require_level(nb, 1)


@check("sujet.mesure.3", hidden=True)
def topic_measure_3(nb, rng):
    _require_level(nb, 2)


# --- the PDF report ----------------------------------------------------------------------


@functools.lru_cache(maxsize=2)
def _read_report(content):
    """The report read once for all its checks: a PdfReport, or the PdfUnreadable raised."""
    try:
        return read_pdf(content, REPORT.file)
    except PdfUnreadable as unreadable:
        return unreadable


def _report(nb):
    """The PDF report as read (once: _read_report), or CheckFailed saying why it was not."""
    try:
        content = nb.read_file(REPORT.file, PdfLimits().max_bytes)
    except ProbeError as problem:
        if problem.said is not None and problem.said.key == "probe.file_missing":
            raise CheckFailed(
                f"rapport PDF absent : déposez `{REPORT.file}` à côté du notebook"
            ) from None
        raise
    found = _read_report(content)
    if isinstance(found, PdfUnreadable):
        raise CheckFailed(found.said.text("fr"), detail=found.detail) from None
    return found


def _read(nb):
    """The report for the checks after rapport.lisible: why it could not be read is said
    there once; here, a short pointer to it."""
    try:
        return _report(nb)
    except (CheckFailed, ProbeError) as problem:
        raise CheckFailed(
            "rapport absent ou illisible : voir « rapport.lisible »", detail=str(problem)
        ) from None


@check("rapport.lisible")
def report_readable(nb, rng):
    found = _report(nb)
    return pdf_pages(found.images, found.pages, f"Rapport PDF ({found.pages} page(s))")


@check("rapport.pages")
def report_pages(nb, rng):
    pages = _read(nb).pages
    if pages > REPORT.max_pages:
        raise CheckFailed(f"le rapport fait {pages} pages : {REPORT.max_pages} au plus")


def _report_section(nb, name):
    wanted = _plain(name)
    lines = (_plain(line) for line in _read(nb).text.splitlines())
    if not any(line.startswith(wanted) for line in lines):
        raise CheckFailed(f"rapport : section « {name} » introuvable (aucun titre « {name} »)")


report_objectif = _section_check("rapport.section.objectif", "Objectif", _report_section)
report_methodologie = _section_check(
    "rapport.section.methodologie", "Méthodologie", _report_section
)
report_resultats = _section_check("rapport.section.resultats", "Résultats", _report_section)
report_limites = _section_check("rapport.section.limites", "Limites", _report_section)


@check("rapport.mots")
def report_words(nb, rng):
    words = len(_read(nb).text.split())
    if not REPORT.min_words <= words <= REPORT.max_words:
        raise CheckFailed(
            f"le rapport compte {words} mots : attendu entre {REPORT.min_words} "
            f"et {REPORT.max_words}"
        )


@check("rapport.figures")
def report_figures(nb, rng):
    found: PdfReport = _read(nb)
    if found.figures < REPORT.min_figures:
        raise CheckFailed(
            f"le rapport ne contient aucune figure (image) : {REPORT.min_figures} au moins"
        )
