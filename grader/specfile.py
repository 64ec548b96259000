"""YAML files read into strict pydantic models, with errors that name file, line and field.

Every YAML spec of the project (assignments, rubrics, quizzes, prompt benchmarks) derives from
`Spec` and is read with `load_spec`, so every bad input gets the same kind of message:
``rubrics/tp-attention.yaml:14: criteria[2].points: expected a number, got "six"``.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import ErrorDetails, PydanticCustomError

from grader.errors import ConfigError

Loc = Sequence[int | str]


class Spec(BaseModel):
    """Base of every YAML spec: frozen, and an unknown key is an error with a did-you-mean."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        known = set()
        for name, field in cls.model_fields.items():
            known.add(name)
            if isinstance(field.alias, str):
                known.add(field.alias)
        for key in value:
            if key not in known:
                close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.6)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                expected = ", ".join(sorted(known))
                raise PydanticCustomError(
                    "unknown_key",
                    "unknown key '{key}'{hint}; expected one of: {expected}",
                    {"key": str(key), "hint": hint, "expected": expected},
                )
        return value


SpecT = TypeVar("SpecT", bound=BaseModel)


@dataclass(frozen=True)
class Loaded(Generic[SpecT]):
    """A validated spec with what is needed to point at its lines in later checks."""

    spec: SpecT
    path: Path
    root: yaml.Node | None

    def line_of(self, loc: Loc) -> int | None:
        return _resolve(self.root, loc)[1]

    def error(self, loc: Loc, message: str) -> ConfigError:
        """An error about the value at `loc`, e.g. ("criteria", 2, "checks", 0)."""
        return ConfigError(self.path, message, line=self.line_of(loc), field=field_name(loc))


def load_spec(model: type[SpecT], path: str | Path) -> Loaded[SpecT]:
    """Read `path` as YAML and validate it against `model`; raise ConfigError if anything is off."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, f"cannot read the file: {exc}") from None
    return parse_spec(model, text, path)


def parse_spec(model: type[SpecT], text: str, path: str | Path) -> Loaded[SpecT]:
    path = Path(path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(path, f"invalid YAML: {exc.problem or exc.context}", line=line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(path, f"invalid YAML: {exc}") from None
    if data is None:
        raise ConfigError(path, "the file is empty")
    if not isinstance(data, dict):
        raise ConfigError(path, "expected a mapping of keys to values at the top level", line=1)
    try:
        spec = model.model_validate(data)
    except ValidationError as exc:
        raise _config_error(path, root, exc.errors()) from None
    return Loaded(spec=spec, path=path, root=root)


def field_name(loc: Loc) -> str | None:
    """("criteria", 2, "points") -> "criteria[2].points"."""
    name = ""
    for part in loc:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or None


def _config_error(path: Path, root: yaml.Node | None, errors: list[ErrorDetails]) -> ConfigError:
    first, *others = [_describe(path, root, error) for error in errors]
    if others:
        more = "\n".join(str(other) for other in others)
        return ConfigError(path, f"{first.reason}\n{more}", line=first.line, field=first.field)
    return first


def _describe(path: Path, root: yaml.Node | None, error: ErrorDetails) -> ConfigError:
    kind = error["type"]
    if kind == "unknown_key":
        key = str((error.get("ctx") or {}).get("key"))
        loc, line = _resolve(root, [*error["loc"], key], key_line=True)
        return ConfigError(path, error["msg"], line=line, field=field_name(loc[:-1]))
    loc, line = _resolve(root, error["loc"])
    return ConfigError(
        path, _message(kind, error, error.get("input")), line=line, field=field_name(loc)
    )


def _message(kind: str, error: ErrorDetails, got: Any) -> str:
    shown = _show(got)
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "required, but missing"
    if kind in {"float_parsing", "float_type", "decimal_parsing", "decimal_type"}:
        return f"expected a number, got {shown}"
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return f"expected a whole number, got {shown}"
    if kind in {"string_type", "str_type"}:
        return f"expected a text, got {shown}"
    if kind in {"bool_parsing", "bool_type"}:
        return f"expected true or false, got {shown}"
    if kind in {"list_type", "tuple_type"}:
        return f"expected a list, got {shown}"
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return f"expected a mapping of keys to values, got {shown}"
    if kind in {"literal_error", "enum"}:
        return f"expected {ctx.get('expected')}, got {shown}"
    if kind == "union_tag_invalid":
        return f"unknown kind {_show(ctx.get('tag'))}; expected {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return f"missing '{ctx.get('discriminator', 'kind')}'"
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        return f"{error['msg'].replace('Input should be', 'must be')}, got {shown}"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    return f"{error['msg']}, got {shown}"


def _show(value: Any) -> str:
    if isinstance(value, str | int | float | bool) or value is None:
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _resolve(
    root: yaml.Node | None, loc: Loc, key_line: bool = False
) -> tuple[list[int | str], int | None]:
    """Walk the YAML tree along pydantic's `loc`: the keys the user wrote, and the line of the last.

    pydantic also puts union tags and validator names in `loc`; a key that is not in the file
    is one of those and is dropped, unless it is the last (a missing field).
    """
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    kept: list[int | str] = []
    for position, part in enumerate(loc):
        last = position == len(loc) - 1
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    node = value_node
                    line = (key_node if key_line else value_node).start_mark.line + 1
                    kept.append(part)
                    break
            else:
                if last:
                    kept.append(part)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
            kept.append(part)
        elif last or isinstance(part, int):
            kept.append(part)
    return kept, line
