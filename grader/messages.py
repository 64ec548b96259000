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
from functools import cache
from pathlib import Path
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
    return value if isinstance(value, str) and (value in catalogue() or value in _UNITS) else None


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
        return catalogue()[key][column].join(_value(item, lang, depth) for item in items)
    values = {name: _value(value, lang, depth) for name, value in params.items()}
    return catalogue()[key][column].format(**values)


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


def load_catalogue(path: Path) -> dict[str, tuple[str, str]]:
    """key -> (French, English), from a YAML file of `key: {fr: …, en: …}` (grader's own data).
    Read from YAML's nodes, so that a key written twice is an error, not the last one silently
    kept, and every text is a string."""
    import yaml  # when a message is first rendered: `grader --help` never reads a catalogue

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, when it is there
    root = yaml.compose(path.read_text(encoding="utf-8"), Loader=loader)
    if not isinstance(root, yaml.MappingNode):
        raise ValueError(f"{path}: a mapping of keys is expected")
    entries: dict[str, tuple[str, str]] = {}
    for key, texts in root.value:
        if key.value in entries:
            line = key.start_mark.line + 1
            raise ValueError(f"{path}:{line}: '{key.value}' is defined twice")
        fields = {name.value: text.value for name, text in texts.value}
        entries[key.value] = (fields["fr"], fields["en"])
    return entries


@cache
def catalogue() -> dict[str, tuple[str, str]]:
    """The messages, grader/messages.yaml: key -> (French, English)."""
    return load_catalogue(Path(__file__).with_name("messages.yaml"))
