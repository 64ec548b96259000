"""Reading a benchmark rubric: the YAML spec, then the checks that span several fields.

Each error names the rubric file, the line and the field, like the spec errors before it.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.util
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.bench.assertions import InstructorFunction
from grader.bench.rubric import (
    AssertionBase,
    AssertSet,
    BenchRubric,
    Case,
    Classifier,
    JsonSchemaAssertion,
    ModelGraded,
    Perplexity,
    PythonAssertion,
    Similar,
)
from grader.errors import ConfigError
from grader.specfile import Loaded, Loc, field_name, load_spec, parse_spec


@dataclass(frozen=True)
class LoadedRubric:
    spec: BenchRubric
    path: Path
    functions: dict[str, InstructorFunction] = field(default_factory=dict)
    source: Loaded[BenchRubric] | None = None  # the YAML tree, to point at lines later

    def error(self, loc: Loc, message: str) -> ConfigError:
        if self.source is not None:
            return self.source.error(loc, message)
        return ConfigError(self.path, message, field=field_name(loc))

    def assertions_for(self, case: Case, prompt_id: str) -> list[AssertionBase]:
        every = [*self.spec.default_assert, *case.assertions]
        return [a for a in every if a.prompts is None or prompt_id in a.prompts]

    def located_assertions(self) -> list[tuple[Loc, AssertionBase]]:
        """All assertions of the rubric with their place, the members of assertion sets too."""
        located = list(_nested(("default_assert",), self.spec.default_assert))
        for index, case in enumerate(self.spec.cases):
            located += _nested(("cases", index, "assert"), case.assertions)
        return located

    @property
    def every_assertion(self) -> list[AssertionBase]:
        return [assertion for _, assertion in self.located_assertions()]

    @property
    def uses_similar(self) -> bool:
        return any(isinstance(a, Similar) for a in self.every_assertion)

    @property
    def needs_embeddings(self) -> bool:
        return self.uses_similar or any(a.kind == "answer-relevance" for a in self.every_assertion)

    @property
    def local_models(self) -> list[tuple[Loc, str, str]]:
        """(place, model, "causal" or "classifier") of each perplexity and classifier."""
        return [
            (loc, a.model, "causal" if isinstance(a, Perplexity) else "classifier")
            for loc, a in self.located_assertions()
            if isinstance(a, Perplexity | Classifier)
        ]

    @property
    def needs_judge(self) -> bool:
        return any(isinstance(a, ModelGraded) for a in self.every_assertion)


def _nested(loc: Loc, assertions: Sequence[AssertionBase]) -> Iterator[tuple[Loc, AssertionBase]]:
    """Each assertion with its place, and the members of assertion sets after their set."""
    for index, assertion in enumerate(assertions):
        yield (*loc, index), assertion
        if isinstance(assertion, AssertSet):
            yield from _nested((*loc, index, "assert"), assertion.assertions)


def load_rubric(path: str | Path) -> LoadedRubric:
    return _checked(load_spec(BenchRubric, path))


def parse_rubric(text: str, path: str | Path) -> LoadedRubric:
    return _checked(parse_spec(BenchRubric, text, path))


def _checked(loaded: Loaded[BenchRubric]) -> LoadedRubric:
    rubric = loaded.spec
    _unique(loaded, "prompts", [p.id for p in rubric.prompts])
    _unique(loaded, "cases", [c.id for c in rubric.cases])
    prompt_ids = [p.id for p in rubric.prompts]
    for index, template in enumerate(p.template for p in rubric.prompts):
        if template is not None and "{input}" not in template:
            raise loaded.error(
                ("prompts", index, "template"),
                "the template never uses {input}, so every case would get the same prompt",
            )
    functions: dict[str, InstructorFunction] = {}
    placed = [
        (loc, a, rubric.cases if loc[0] == "default_assert" else [rubric.cases[int(loc[1])]])
        for loc, a in LoadedRubric(rubric, loaded.path).located_assertions()
    ]
    for loc, assertion, cases in placed:
        for prompt in assertion.prompts or []:
            if prompt not in prompt_ids:
                raise loaded.error((*loc, "prompts"), _unknown("prompt", prompt, prompt_ids))
        _needs_reference(loaded, loc, assertion, cases)
        if isinstance(assertion, Similar) and assertion.threshold is None:
            labels = {pair.same for pair in rubric.similar_examples}
            if labels != {True, False}:
                raise loaded.error(
                    loc,
                    "'similar' without a threshold needs similar_examples with pairs marked "
                    "same: true and same: false, to calibrate one",
                )
        if isinstance(assertion, PythonAssertion) and assertion.value not in functions:
            functions[assertion.value] = _import_function(loaded, (*loc, "value"), assertion.value)
    plain = LoadedRubric(rubric, loaded.path)
    for c, case in enumerate(rubric.cases):
        for prompt in prompt_ids:
            if not any(a.weight > 0 for a in plain.assertions_for(case, prompt)):
                raise loaded.error(
                    ("cases", c),
                    f"case {case.id!r} has no assertion with a weight above 0 for prompt "
                    f"{prompt!r}, so it cannot be graded",
                )
    if rubric.metrics:
        if not rubric.labels:
            raise loaded.error(("metrics",), "set-level metrics need the list of 'labels'")
        for c, case in enumerate(rubric.cases):
            if case.expected not in rubric.labels:
                raise loaded.error(
                    ("cases", c, "expected"),
                    f"expected one of the labels {', '.join(rubric.labels)} "
                    "(metrics compare labels), "
                    f"got {case.expected!r}",
                )
    return LoadedRubric(spec=rubric, path=loaded.path, functions=functions, source=loaded)


def _unique(loaded: Loaded[BenchRubric], where: str, ids: Sequence[str]) -> None:
    seen: set[str] = set()
    for index, ident in enumerate(ids):
        if ident in seen:
            raise loaded.error((where, index, "id"), f"duplicate id {ident!r}")
        seen.add(ident)


def _unknown(what: str, name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown {what} {name!r}{hint}; expected one of: {', '.join(known)}"


_NEEDS_EXPECTED = ("equals", "equals-normalised", "contains", "icontains", "starts-with",
                   "levenshtein", "rouge-n", "rouge-f1", "bleu", "gleu", "chrf", "meteor",
                   "similar", "factuality")  # fmt: skip


def _needs_reference(
    loaded: Loaded[BenchRubric], loc: Loc, assertion: AssertionBase, cases: list[Case]
) -> None:
    """An assertion without `value` compares with the case's `expected` (or `schema`)."""
    if getattr(assertion, "value", None) is not None:
        return
    if isinstance(assertion, JsonSchemaAssertion):
        missing, needed = [c for c in cases if c.schema_ is None], "schema"
    elif assertion.kind in _NEEDS_EXPECTED:
        missing, needed = [c for c in cases if c.expected is None], "expected"
    else:
        return
    if missing:
        case_index = loaded.spec.cases.index(missing[0])
        raise loaded.error(
            ("cases", case_index),
            f"case {missing[0].id!r} has no '{needed}', which {field_name(loc)} "
            f"({assertion.kind}) compares with; give the case '{needed}' "
            "or the assertion a 'value'",
        )


def _import_function(loaded: Loaded[BenchRubric], loc: Loc, target: str) -> Any:
    """Import the instructor's `file.py:function`, found next to the rubric (trusted code)."""
    file_name, _, name = target.rpartition(":")
    source = (loaded.path.parent / file_name).resolve()
    if not source.is_file():
        raise loaded.error(loc, f"file not found: {source}")
    digest = hashlib.sha1(str(source).encode()).hexdigest()[:10]
    module_spec = importlib.util.spec_from_file_location(f"_bench_{digest}", source)
    if module_spec is None or module_spec.loader is None:
        raise loaded.error(loc, f"cannot import {source}")
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:
        raise loaded.error(loc, f"importing {file_name} raised {exc!r}") from exc
    function = getattr(module, name, None)
    if not callable(function):
        raise loaded.error(loc, f"{file_name} has no function {name!r}")
    return function
