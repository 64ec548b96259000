"""Questions of Moodle's kinds (XML and GIFT alike) as grader's quiz data.

Moodle gives each option a fraction; grader keeps `correct` (fraction > 0, or the 100 % option
of a single-answer question) and writes `weight` only where the fractions are not what
grader's `moodle` scheme would give anyway, so an import reads like a hand-written quiz and
exports back to the same fractions. Texts keep their Moodle format: a question is `markdown`
when all its texts are, else `html`, the others converted to it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from grader.quiz.richtext import to_html

DEFAULT_TOLERANCE = 1e-4  # percent
CATEGORY_PREFIX = re.compile(r"^\$(course|system|module|cat\d+)\$/(top/)?")
NOTHING_ACCEPTED = {
    "numeric": "no numeric answer worth more than 0 %",
    "short-text": "no answer worth more than 0 %",
}


@dataclass(frozen=True)
class Text:
    value: str
    format: str  # Moodle's: html, markdown, moodle_auto_format, plain_text


@dataclass(frozen=True)
class Choice:
    text: Text
    fraction: float  # percent
    feedback: Text | None = None


def question_format(texts: list[Text | None]) -> str:
    used = [text for text in texts if text is not None and text.value]
    return "markdown" if used and all(text.format == "markdown" for text in used) else "html"


def convert(text: Text | None, target: str, inline: bool = False) -> str:
    """`text` in the question's format (`markdown` only when it already is)."""
    if text is None or not text.value:
        return ""
    value = text.value.strip()
    if text.format == target or (text.format == "html" and target == "html"):
        return value
    if text.format == "markdown":
        return to_html(value, "markdown", inline, "tex")
    if text.format == "plain_text":
        value = html.escape(value, quote=False)
    return value.replace("\n", "<br>\n")


def base(
    qid: str, kind: str, text: str, fmt: str, points: float, topics: list[str], feedback: str
) -> dict[str, Any]:
    data: dict[str, Any] = {"id": qid, "kind": kind}
    if fmt != "markdown":
        data["format"] = fmt
    if points != 1:
        data["points"] = int(points) if float(points).is_integer() else points
    if topics:
        data["topics"] = topics
    data["text"] = text
    if feedback:
        data["feedback"] = feedback
    return data


def choice_options(choices: list[Choice], single: bool, fmt: str) -> list[dict[str, Any]] | str:
    """The options, or why they cannot make a question."""
    best = max(choice.fraction for choice in choices)
    if best <= 0:
        return "no option is worth more than 0 %"
    if single:
        right = next(n for n, choice in enumerate(choices) if choice.fraction == best)
        correct = {right}
    else:
        correct = {n for n, choice in enumerate(choices) if choice.fraction > 0}
    defaults = _default_weights(len(choices), correct, single)
    explicit = any(
        abs(choice.fraction - default) > DEFAULT_TOLERANCE
        for choice, default in zip(choices, defaults, strict=True)
    )
    options = []
    for number, choice in enumerate(choices):
        option: dict[str, Any] = {"text": convert(choice.text, fmt, inline=True)}
        if number in correct:
            option["correct"] = True
        if explicit:
            option["weight"] = _number(choice.fraction)
        feedback = convert(choice.feedback, fmt, inline=True)
        if feedback:
            option["feedback"] = feedback
        options.append(option)
    return options


def _default_weights(count: int, correct: set[int], single: bool) -> list[float]:
    if single:
        return [100.0 if n in correct else 0.0 for n in range(count)]
    share = 100 / len(correct)
    return [share if n in correct else -share for n in range(count)]


def wildcard_regex(answer: str) -> str:
    """Moodle's short answers use `*` for any text."""
    return ".*".join(re.escape(part) for part in answer.split("*"))


def accepted_answer(
    entry: dict[str, Any], fraction: float, feedback: Text | None, fmt: str
) -> dict[str, Any]:
    """An answer a typed question accepts (its `value` or `text`/`regex` in `entry`), with its
    credit when its fraction is below 100 % and its feedback, in the question's format `fmt`,
    if it has one."""
    if fraction < 100:
        entry["credit"] = fraction / 100
    if shown := convert(feedback, fmt):
        entry["feedback"] = shown
    return entry


def typed_answers(data: dict[str, Any], kind: str, accepted: list[dict[str, Any]]) -> str | None:
    """`accepted` made the answers of a `kind` (numeric, short-text) question, or why they
    cannot be: none is worth anything."""
    if not accepted:
        return NOTHING_ACCEPTED[kind]
    data["kind"] = kind
    data["answers"] = accepted
    return None


def plain_number(value: float) -> float | int:
    """An integral value as an int (as YAML shows it), unless too large to be exact."""
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def number(text: str) -> float | None:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None
