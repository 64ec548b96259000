"""The quiz YAML's JSON Schema, generated from the pydantic models of grader/quiz/spec.py.

One source of truth: the models. `grader quiz schema` writes the schema
(quizzes/quiz.schema.json is its output, kept current by a test) for editors, where a first
line `# yaml-language-server: $schema=quiz.schema.json` gives completion and checks while
typing. `grader quiz validate` checks a quiz against the same schema, reporting every
violation with its line at once, then the rules a schema cannot say (unique ids, a correct
option, pools naming real questions…) through `load_quiz`.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, ValidationError

from grader.errors import ConfigError
from grader.quiz.spec import Quiz, load_quiz
from grader.specfile import field_name

SCHEMA_ID = "https://json-schema.org/draft/2020-12/schema"


def quiz_schema() -> dict[str, Any]:
    return {
        "$schema": SCHEMA_ID,
        **Quiz.model_json_schema(),
        "title": "grader quiz",
        "description": "A QCM quiz for `grader quiz` (quizzes/<id>.yaml).",
    }


def validate_quiz(path: Path) -> list[ConfigError]:
    """Every schema violation of the quiz at `path`, each at its line; else load_quiz's check."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "file not found") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(path, f"not UTF-8: {exc}") from None
    try:
        data, root = yaml.safe_load(text), yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        load_quiz(path)  # the same file through the loader: its message names the line
        raise
    validator = Draft202012Validator(quiz_schema())
    errors = [leaf for error in validator.iter_errors(data) for leaf in _leaves(error)]
    problems = [
        ConfigError(
            path,
            error.message,
            line=line_of(root, list(error.absolute_path)),
            field=field_name(list(error.absolute_path)),
        )
        for error in errors
    ]
    problems.sort(key=lambda problem: problem.line or 0)
    if not problems:
        load_quiz(path)
    return problems


def _leaves(error: ValidationError) -> list[ValidationError]:
    """The errors of the union's branch the value meant (its `kind`), not "valid under none"."""
    if error.validator not in {"oneOf", "anyOf"} or not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = defaultdict(list)
    for sub in error.context:
        branches[sub.relative_schema_path[0]].append(sub)
    meant = [
        errors for errors in branches.values() if not any(_wrong_branch(sub) for sub in errors)
    ]
    if len(meant) == 1:
        return [leaf for sub in meant[0] for leaf in _leaves(sub)]
    kinds = [sub.validator_value for errors in branches.values() for sub in errors if _kind(sub)]
    if meant or len(kinds) != len(branches) or not isinstance(error.instance, dict):
        return [error]
    given = error.instance.get("kind")
    message = f"kind {given!r} is not one of: {', '.join(map(str, kinds))}"
    return [ValidationError(message, path=error.absolute_path)]


def _kind(error: ValidationError) -> bool:
    return error.validator == "const" and list(error.relative_path) == ["kind"]


def _wrong_branch(error: ValidationError) -> bool:
    """A `kind` that is another branch's, or a value of another type altogether (null)."""
    return _kind(error) or (error.validator == "type" and not list(error.relative_path))


def line_of(node: yaml.Node | None, loc: list[Any]) -> int | None:
    """The 1-based line of the value at `loc` (the deepest node found on the way)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((value for key, value in node.value if key.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line
