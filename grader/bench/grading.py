"""Scoring a whole table of outputs and writing what comes out: the API the CLI calls."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from grader.atomic import write_json_atomic
from grader.bench.assertions import Tools
from grader.bench.embeddings import Embedder, calibrate_threshold, shared_embedder
from grader.bench.judges import Judge
from grader.bench.load import LoadedRubric
from grader.bench.local_models import LocalModels, ModelUnavailable
from grader.bench.providers import OpenAICompatible
from grader.bench.records import RowProblem, by_student, result_to_dict
from grader.bench.report import render_bench_page
from grader.bench.rubric import JudgeEndpoint, ModelGraded
from grader.bench.scoring import BenchResult, RecordedOutput, score_student


def tools_for(
    rubric: LoadedRubric,
    embedder: Embedder | None = None,
    judge: JudgeEndpoint | None = None,
    mirror: Path | None = None,
) -> Tools:
    """The instructor's functions, the judge model (`judge`, else the rubric's), the local
    models (from `mirror` or the cache) and the embedder with its calibrated threshold, each
    only if the rubric needs it. A missing judge or model stops here, before any scoring."""
    judged = _judge(rubric, judge or rubric.spec.judge) if rubric.needs_judge else None
    models = _local_models(rubric, mirror) if rubric.local_models else None
    tools = Tools(functions=rubric.functions, judge=judged, models=models)
    if not rubric.needs_embeddings:
        return tools
    model = embedder or shared_embedder()
    threshold = None
    if examples := rubric.spec.similar_examples:
        cosines = [model.cosine(pair.a, [pair.b])[0] for pair in examples]
        threshold = calibrate_threshold(cosines, [pair.same for pair in examples])
    return replace(tools, similarity=model.cosine, similar_threshold=threshold)


def _local_models(rubric: LoadedRubric, mirror: Path | None) -> LocalModels:
    models = LocalModels(rubric.path.parent, mirror)
    for loc, name, kind in rubric.local_models:
        try:
            models.check(name, kind)
        except ModelUnavailable as exc:
            raise rubric.error((*loc, "model"), str(exc)) from None
    return models


def _judge(rubric: LoadedRubric, endpoint: JudgeEndpoint | None) -> Judge:
    """Model-graded assertions are refused, before any output is scored, without an endpoint."""
    if endpoint is None:
        first = next(loc for loc, a in rubric.located_assertions() if isinstance(a, ModelGraded))
        raise rubric.error(
            first,
            "llm-rubric, factuality and answer-relevance need a judge model: add "
            "'judge: {base_url: ..., model: ...}' (an OpenAI-compatible endpoint) to the rubric, "
            "or pass --judge-url and --judge-model",
        )
    key = None
    if endpoint.api_key_env is not None:
        key = os.environ.get(endpoint.api_key_env)
        if not key:
            raise rubric.error(
                ("judge", "api_key_env"),
                f"the environment variable {endpoint.api_key_env} is not set",
            )
    return OpenAICompatible(endpoint.base_url, endpoint.model, api_key=key).generate


def score_outputs(
    rubric: LoadedRubric,
    rows: Sequence[RecordedOutput],
    tools: Tools | None = None,
    problems: Sequence[RowProblem] = (),
) -> list[BenchResult]:
    """One result per student in the table, in the order they first appear; the problems of
    their rows (a bad grade...) are warnings in their report."""
    tools = tools or tools_for(rubric)
    return [
        score_student(
            rubric,
            student,
            student_rows,
            tools,
            table_warnings=[p.french for p in problems if p.student == student],
        )
        for student, student_rows in by_student(list(rows)).items()
    ]


@dataclass(frozen=True)
class Written:
    json: Path
    html: Path


def write_result(result: BenchResult, out_dir: Path) -> Written:
    """DIR/results/<student>.json and DIR/reports/<student>.html."""
    json_path = out_dir / "results" / f"{result.student}.json"
    html_path = out_dir / "reports" / f"{result.student}.html"
    write_json_atomic(json_path, result_to_dict(result))
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(render_bench_page(result), encoding="utf-8")
    return Written(json_path, html_path)
