"""Scoring a student's outputs: assertions -> weighted share -> 0/1/2, means per prompt, winner.

Pure functions: the recorded outputs and the rubric in, a frozen BenchResult out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from grader.bench.analysis import StudentAnalysis, analyse_student
from grader.bench.assertions import AssertionScore, Tools, evaluate
from grader.bench.embeddings import SIMILAR_WARNING
from grader.bench.load import LoadedRubric
from grader.bench.rubric import Grid, SetMetric
from grader.bench.text import normalise

NO_LABEL = "(aucun)"


@dataclass(frozen=True)
class RecordedOutput:
    """One row of a student's table: a prompt's answer to a case, and their own 0/1/2."""

    student: str
    case: str
    prompt: str
    output: str
    student_grade: int | None = None


@dataclass(frozen=True)
class CaseScore:
    case: str
    input: str
    output: str | None  # None: the student recorded no output for this case
    share: float  # weighted share of passed assertions, 0..1
    grade: int  # 0, 1 or 2
    assertions: tuple[AssertionScore, ...]
    student_grade: int | None = None

    @property
    def reason(self) -> str:
        if self.output is None:
            return "aucune sortie enregistrée pour ce cas"
        failed = [a.reason for a in self.assertions if not a.passed and a.weight > 0]
        return "; ".join(failed) if failed else "toutes les assertions sont validées"


@dataclass(frozen=True)
class MetricScore:
    type: str  # "accuracy" or "macro-f1"
    value: float


@dataclass(frozen=True)
class PromptScore:
    prompt: str
    title: str
    cases: tuple[CaseScore, ...]
    mean: float  # mean of the 0/1/2 grades over the rubric's cases
    metrics: tuple[MetricScore, ...] = ()


@dataclass(frozen=True)
class BenchResult:
    rubric: str
    title: str
    student: str
    prompts: tuple[PromptScore, ...]
    winners: tuple[str, ...]  # the prompt(s) with the highest mean; several on a tie
    analysis: StudentAnalysis | None
    warnings: tuple[str, ...] = ()  # French: unknown ids, duplicate rows, model caveats


def grade_from_share(share: float, grid: Grid) -> int:
    """The course's grid: 2 at or above `full`, 1 at or above `partial`, else 0."""
    if share >= grid.full - 1e-9:
        return 2
    if share >= grid.partial - 1e-9:
        return 1
    return 0


def case_grid(grid: Grid, threshold: float | None) -> Grid:
    """A case's own `threshold`, like promptfoo's test threshold, is the share that earns a 2."""
    if threshold is None:
        return grid
    return Grid(full=threshold, partial=min(grid.partial, threshold))


def weighted_share(scores: Iterable[AssertionScore]) -> float:
    counted = [s for s in scores if s.weight > 0]
    total = sum(s.weight for s in counted)
    return sum(s.weight for s in counted if s.passed) / total if total else 0.0


def winners(means: Mapping[str, float]) -> tuple[str, ...]:
    best = max(means.values())
    return tuple(prompt for prompt, mean in means.items() if abs(mean - best) < 1e-9)


def score_student(
    rubric: LoadedRubric,
    student: str,
    outputs: Sequence[RecordedOutput],
    tools: Tools,
    claimed_means: Mapping[str, float] | None = None,
    table_warnings: Sequence[str] = (),
) -> BenchResult:
    """`table_warnings`: problems found while reading the student's table, shown in the report."""
    spec = rubric.spec
    warnings = [*([SIMILAR_WARNING] if rubric.uses_similar else []), *table_warnings]
    table = _index_rows(rubric, outputs, warnings)
    prompts = []
    for prompt in spec.prompts:
        cases = []
        for case in spec.cases:
            row = table.get((case.id, prompt.id))
            if row is None:
                cases.append(CaseScore(case.id, case.input, None, 0.0, 0, ()))
                continue
            scores = tuple(
                evaluate(assertion, row.output, case, tools)
                for assertion in rubric.assertions_for(case, prompt.id)
            )
            share = weighted_share(scores)
            grade = grade_from_share(share, case_grid(spec.grid, case.threshold))
            cases.append(
                CaseScore(case.id, case.input, row.output, share, grade, scores, row.student_grade)
            )
        mean = sum(c.grade for c in cases) / len(cases)
        metrics = tuple(_set_metric(metric, rubric, cases) for metric in spec.metrics)
        prompts.append(PromptScore(prompt.id, prompt.title, tuple(cases), mean, metrics))
    analysis = analyse_student(
        [(p.prompt, c.case, c.student_grade, c.grade, c.reason) for p in prompts for c in p.cases],
        [p.prompt for p in prompts],
        claimed_means,
    )
    return BenchResult(
        rubric=spec.id,
        title=spec.title,
        student=student,
        prompts=tuple(prompts),
        winners=winners({p.prompt: p.mean for p in prompts}),
        analysis=analysis,
        warnings=tuple(warnings),
    )


def _index_rows(
    rubric: LoadedRubric, outputs: Sequence[RecordedOutput], warnings: list[str]
) -> dict[tuple[str, str], RecordedOutput]:
    case_ids = {c.id for c in rubric.spec.cases}
    prompt_ids = {p.id for p in rubric.spec.prompts}
    table: dict[tuple[str, str], RecordedOutput] = {}
    for row in outputs:
        if row.case not in case_ids:
            warnings.append(f"cas inconnu « {row.case} » ignoré (prompt « {row.prompt} »)")
        elif row.prompt not in prompt_ids:
            warnings.append(f"prompt inconnu « {row.prompt} » ignoré (cas « {row.case} »)")
        elif (row.case, row.prompt) in table:
            warnings.append(
                f"sortie en double pour le cas « {row.case} » et le prompt « {row.prompt} » : "
                "seule la première est notée"
            )
        else:
            table[(row.case, row.prompt)] = row
    return table


def predicted_label(output: str | None, labels: Sequence[str], extract: str | None) -> str:
    """The label an output gives: the extracted text if it names a label, else the only label
    named in the output as a whole word (accents and case ignored), else NO_LABEL."""
    if output is None:
        return NO_LABEL
    text = output
    if extract is not None:
        match = re.search(extract, output)
        if match is None:
            return NO_LABEL
        text = match.group(1) if match.groups() else match.group(0)
    words = f" {normalise(text)} "
    by_form = {normalise(label): label for label in labels}
    if words.strip() in by_form:
        return by_form[words.strip()]
    named = [label for form, label in by_form.items() if f" {form} " in words]
    return named[0] if len(named) == 1 else NO_LABEL


def _set_metric(metric: SetMetric, rubric: LoadedRubric, cases: Sequence[CaseScore]) -> MetricScore:
    from sklearn.metrics import accuracy_score, f1_score

    labels = rubric.spec.labels
    expected = {c.id: c.expected for c in rubric.spec.cases}
    truth = [str(expected[c.case]) for c in cases]
    predicted = [predicted_label(c.output, labels, metric.extract) for c in cases]
    if metric.type == "accuracy":
        value = float(accuracy_score(truth, predicted))
    else:
        value = float(f1_score(truth, predicted, labels=labels, average="macro", zero_division=0))
    return MetricScore(metric.type, value)
