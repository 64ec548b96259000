"""A student's own results table, as the probe returns it from the notebook (JSON records of a
DataFrame or a list of dicts), turned into recorded outputs.

Students name columns in French or English and often identify a case by its input text rather
than by its id; both are accepted. Their mistakes (a missing column, a grade of 3, an input
that is not in the rubric) are data: French warnings in the report, never exceptions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from grader.bench.load import LoadedRubric
from grader.bench.scoring import RecordedOutput
from grader.bench.text import normalise

ALIASES = {
    "case": ("case", "cas", "id", "case_id"),
    "input": ("input", "entrée", "entree", "avis", "texte"),
    "prompt": ("prompt", "prompt_id", "variante"),
    "output": ("output", "sortie", "réponse", "reponse"),
    "grade": ("grade", "note", "score"),
}


@dataclass(frozen=True)
class StudentTable:
    rows: tuple[RecordedOutput, ...]
    warnings: tuple[str, ...]  # French, for the report


def read_student_table(
    rubric: LoadedRubric, student: str, records: Sequence[Mapping[str, Any]]
) -> StudentTable:
    by_id = {case.id: case.id for case in rubric.spec.cases}
    by_input = {normalise(case.input): case.id for case in rubric.spec.cases}
    prompt_ids = {normalise(p.id): p.id for p in rubric.spec.prompts}
    prompt_ids |= {normalise(p.title): p.id for p in rubric.spec.prompts if p.title}
    rows: list[RecordedOutput] = []
    warnings: list[str] = []
    for number, record in enumerate(records, start=1):
        where = f"ligne {number} du tableau"
        if not isinstance(record, Mapping):
            warnings.append(f"{where} : attendu un dictionnaire, obtenu {type(record).__name__}")
            continue
        fields = {name: _field(record, name) for name in ALIASES}
        case_id = None
        if fields["case"] is not None:
            case_id = by_id.get(str(fields["case"]).strip())
        if case_id is None and fields["input"] is not None:
            case_id = by_input.get(normalise(str(fields["input"])))
        if case_id is None:
            shown = fields["case"] if fields["case"] is not None else fields["input"]
            warnings.append(f"{where} : cas introuvable dans la grille ({shown!r}), ignorée")
            continue
        if fields["prompt"] is None or fields["output"] is None:
            missing = [n for n in ("prompt", "output") if fields[n] is None]
            warnings.append(f"{where} : colonne(s) absente(s) : {', '.join(missing)}, ignorée")
            continue
        grade, problem = _grade(fields["grade"])
        if problem:
            warnings.append(f"{where} : {problem}")
        prompt = str(fields["prompt"]).strip()
        prompt = prompt_ids.get(normalise(prompt), prompt)  # "Zero shot" names "zero-shot"
        rows.append(RecordedOutput(student, case_id, prompt, str(fields["output"]), grade))
    return StudentTable(tuple(rows), tuple(warnings))


def _field(record: Mapping[str, Any], name: str) -> Any:
    keys = {str(key).strip().casefold(): value for key, value in record.items()}
    for alias in ALIASES[name]:
        value = keys.get(alias)
        if value is not None and not (isinstance(value, float) and value != value):  # NaN
            return value
    return None


def _grade(value: Any) -> tuple[int | None, str | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, bool):
        return None, f"note {value!r} ignorée : attendu 0, 1 ou 2"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None, f"note {value!r} ignorée : attendu 0, 1 ou 2"
    if number not in (0, 1, 2):
        return None, f"note {value!r} ignorée : attendu 0, 1 ou 2"
    return int(number), None


def grades_by_prompt(records: Sequence[Mapping[str, Any]]) -> dict[str, list[int]]:
    """The student's valid 0/1/2 grades per prompt, the prompt named as they wrote it
    (normalised): what their means must be computed from. Needs no rubric (public checks)."""
    grades: dict[str, list[int]] = {}
    for record in records:
        if not isinstance(record, Mapping) or _field(record, "prompt") is None:
            continue
        grade, _ = _grade(_field(record, "grade"))
        if grade is not None:
            grades.setdefault(normalise(str(_field(record, "prompt"))), []).append(grade)
    return grades


def table_problems(records: Sequence[Mapping[str, Any]], prompts: int, cases: int) -> list[str]:
    """What keeps a table from being a complete experiment (French): `prompts` prompts, each
    answering the same `cases` cases once, every answer graded 0, 1 or 2. Needs no rubric."""
    problems: list[str] = []
    seen: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for number, record in enumerate(records, start=1):
        where = f"ligne {number}"
        if not isinstance(record, Mapping):
            problems.append(f"{where} : attendu un dictionnaire, obtenu {type(record).__name__}")
            continue
        fields = {name: _field(record, name) for name in ALIASES}
        case = fields["case"] if fields["case"] is not None else fields["input"]
        missing = [n for n in ("prompt", "output") if fields[n] is None]
        if case is None:
            missing.insert(0, "cas (ou entrée)")
        if missing:
            problems.append(f"{where} : colonne(s) absente(s) : {', '.join(missing)}")
            continue
        grade, problem = _grade(fields["grade"])
        if grade is None:
            problems.append(f"{where} : {problem or 'note absente'}")
        prompt = normalise(str(fields["prompt"]))
        names.setdefault(prompt, str(fields["prompt"]).strip())  # as the student wrote it
        seen.setdefault(prompt, []).append(normalise(str(case)))
    if len(seen) != prompts:
        problems.append(f"{len(seen)} prompt(s) dans le tableau, attendu {prompts}")
    for prompt, prompt_cases in seen.items():
        if len(set(prompt_cases)) != cases or len(prompt_cases) != cases:
            problems.append(
                f"prompt « {names[prompt]} » : {len(set(prompt_cases))} cas distincts sur "
                f"{len(prompt_cases)} ligne(s), attendu {cases} cas, une ligne chacun"
            )
    return problems
