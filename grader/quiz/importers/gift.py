"""Moodle's GIFT format (docs.moodle.org/en/GIFT_format) read into a quiz draft.

Read as Moodle's own importer reads it (question/format/gift/format.php): questions are
separated by blank lines, `//` lines are comments, `\\~ \\= \\# \\{ \\} \\: \\\\` and `\\n` are
escapes, `::name::` names a question, `[html]`/`[markdown]`/`[moodle]`/`[plain]` gives the
text's format, and the answer block decides the kind: `{#…}` numerical, `~` multiple choice
(multiple answers when no `=` marks a right one), `{T}`/`{F}` true/false, `=` short answer.
Matching (`->`), essays (`{}`), descriptions (no block) and missing-word questions (text after
the block) are listed as skipped with their line. grader's own export adds comments that are
read back: `// points: N`, `// tags: a b`, `// grader pool: draw N` under a `$CATEGORY:`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from grader.quiz.importers import build
from grader.quiz.importers.draft import Draft

ESCAPES = {":": "\x01", "#": "\x02", "=": "\x03", "{": "\x04", "}": "\x05", "~": "\x06"}
UNESCAPE = {placeholder: char for char, placeholder in ESCAPES.items()}
FORMATS = {"html": "html", "markdown": "markdown", "moodle": "moodle_auto_format",
           "plain": "plain_text"}  # fmt: skip
WEIGHT = re.compile(r"^%(-?\d+(?:\.\d*)?)%")
POOL = re.compile(r"^grader pool: draw (\d+)$")


def read(text: str, path: Path) -> Draft:
    draft = Draft(title=path.stem, scheme={"kind": "moodle"})
    state = _State()
    for line, lines in _blocks(text):
        _block(draft, state, line, lines)
    return draft


class _State:
    def __init__(self) -> None:
        self.base: str | None = None
        self.pool: dict[str, Any] | None = None


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 1
    for number_, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            if not current:
                start = number_
            current.append(line)
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


def protect(text: str) -> str:
    """Moodle's escapedchar_pre: escapes become placeholders, `\\\\` a backslash."""
    text = text.replace("\\\\", "\x00")
    for char, placeholder in ESCAPES.items():
        text = text.replace("\\" + char, placeholder)
    return text.replace("\\n", "\n").replace("\x00", "\\")


def restore(text: str) -> str:
    for placeholder, char in UNESCAPE.items():
        text = text.replace(placeholder, char)
    return text


def _block(draft: Draft, state: _State, line: int, lines: list[str]) -> None:
    meta: dict[str, str] = {}
    body = []
    for raw in lines:
        stripped = raw.strip()
        if stripped.startswith("//"):
            key, _, value = stripped[2:].strip().partition(":")
            meta[key.strip()] = value.strip()
        else:
            body.append(raw)
    text = protect("\n".join(body).strip())
    if not text:
        _pool_comment(draft, state, meta)
        return
    if text.startswith("$CATEGORY:"):
        _category(draft, state, restore(text[len("$CATEGORY:") :].strip()), meta)
        return
    data = _question(draft, line, text, meta)
    if data is not None:
        draft.add(data, state.pool)


def _category(draft: Draft, state: _State, name: str, meta: dict[str, str]) -> None:
    path = build.CATEGORY_PREFIX.sub("", name).strip("/")
    if state.base is None or not path.startswith(state.base + "/"):
        state.base, state.pool = path, None
        if not draft.questions:
            draft.title = path.rsplit("/", 1)[-1]
        return
    rest = path[len(state.base) + 1 :]
    pool_id = draft.unique_id(rest, f"pool-{len(draft.pools) + 1}")
    state.pool = {"id": pool_id, "draw": 1, "questions": []}
    draft.pools.append(state.pool)
    _pool_comment(draft, state, meta)


def _pool_comment(draft: Draft, state: _State, meta: dict[str, str]) -> None:
    draw = POOL.match(f"grader pool: {meta.get('grader pool', '')}")
    if state.pool is not None and draw is not None:
        state.pool["draw"] = int(draw.group(1))


def _question(draft: Draft, line: int, text: str, meta: dict[str, str]) -> dict[str, object] | None:
    name = ""
    if text.startswith("::"):
        name, separator, rest = text[2:].partition("::")
        if separator:
            text = rest.strip()
        else:
            name = ""
    start, end = text.find("{"), text.find("}")
    shown = restore(name) or restore(text[:40])
    if start < 0 or end < start:
        draft.skip(line, f"'{shown}': no answer block (a description), not a question")
        return None
    if text[end + 1 :].strip():
        draft.skip(line, f"'{shown}': a missing-word question (text after the answers)")
        return None
    question_text, answers = text[:start].strip(), text[start + 1 : end].strip()
    general = ""
    if "####" in answers:
        answers, _, general = answers.rpartition("####")
        answers = answers.strip()
    source_format, question_text = _format(question_text)
    qid = draft.unique_id(restore(name), f"q{len(draft.questions) + 1}")
    points = build.number(meta.get("points", "1")) or 1.0
    topics = meta.get("tags", "").split()
    parsed = _answers(answers, source_format)
    if isinstance(parsed, str):
        draft.skip(line, f"'{shown}': {parsed}")
        draft.release(qid)
        return None
    kind, body, texts = parsed
    question = build.Text(restore(question_text), source_format)
    feedback = build.Text(restore(general.strip()), source_format) if general.strip() else None
    fmt = build.question_format([question, feedback, *texts])
    data = build.base(
        qid, kind, build.convert(question, fmt), fmt, points, topics, build.convert(feedback, fmt)
    )
    problem = _fill(data, kind, body, fmt)
    if problem is not None:
        draft.skip(line, f"'{shown}': {problem}")
        draft.release(qid)
        return None
    return data


def _format(text: str) -> tuple[str, str]:
    match = re.match(r"^\[(html|markdown|moodle|plain)\]", text)
    if match is None:
        return "moodle_auto_format", text
    return FORMATS[match.group(1)], text[match.end() :].strip()


Parsed = tuple[str, object, list[build.Text | None]]


def _answers(answers: str, fmt: str) -> Parsed | str:
    if not answers:
        return "an essay (empty answer block)"
    if answers.startswith("#"):
        return "numeric", answers[1:], []
    if "~" in answers:
        choices = _choices(answers, fmt)
        texts: list[build.Text | None] = [choice.text for choice in choices]
        texts += [choice.feedback for choice in choices]
        return ("single" if "=" in answers else "multiple"), choices, texts
    if "=" in answers and "->" in answers:
        return "a matching question"
    head = answers.split("#", 1)[0].strip()
    if head in {"T", "TRUE", "F", "FALSE"}:
        return "true-false", answers, []
    return "short-text", answers, []


def _choices(answers: str, fmt: str) -> list[build.Choice]:
    choices = []
    for part in answers.replace("=", "~=").split("~"):
        part = part.strip()
        if not part:
            continue
        fraction = 0.0
        if part.startswith("="):
            fraction, part = 100.0, part[1:]
        elif (weight := WEIGHT.match(part)) is not None:
            fraction, part = float(weight.group(1)), part[weight.end() :]
        answer, _, feedback = part.partition("#")
        choices.append(
            build.Choice(
                _text(answer, fmt),
                fraction,
                _text(feedback, fmt) if feedback.strip() else None,
            )
        )
    return choices


def _text(value: str, fmt: str) -> build.Text:
    source, value = _format(value.strip())
    return build.Text(restore(value), source if value and source != "moodle_auto_format" else fmt)


def _fill(data: dict[str, object], kind: str, body: object, fmt: str) -> str | None:
    if kind in {"single", "multiple"}:
        assert isinstance(body, list)
        if len(body) < 2:
            return "fewer than two answers"
        options = build.choice_options(body, kind == "single", fmt)
        if isinstance(options, str):
            return options
        data["options"] = options
        return None
    assert isinstance(body, str)
    if kind == "true-false":
        word, wrong, right = [*body.split("#", 2), "", ""][:3]
        data["answer"] = word.strip() in {"T", "TRUE"}
        shown = {
            True: build.convert(_text(right, fmt), fmt),
            False: build.convert(_text(wrong, fmt), fmt),
        }
        for key, when_true in (("feedback_true", True), ("feedback_false", False)):
            feedback = shown[when_true == data["answer"]]
            if feedback:
                data[key] = feedback
        return None
    if kind == "numeric":
        return _numeric(data, body, fmt)
    return _short(data, body, fmt)


def _numeric(data: dict[str, object], body: str, fmt: str) -> str | None:
    body = body.split("~", 1)[0]  # `~#…`: the feedback for any other number, not an answer
    parts = [part.strip() for part in re.split(r"(?=(?<!^)=)", body.strip()) if part.strip()]
    accepted: list[dict[str, object]] = []
    for part in parts:
        fraction = 100.0
        if part.startswith("="):
            part = part[1:]
            if (weight := WEIGHT.match(part)) is not None:
                fraction, part = float(weight.group(1)), part[weight.end() :]
        value_text, _, feedback = part.partition("#")
        entry = _numeric_entry(restore(value_text).strip())
        if entry is None:
            return f"cannot read the number '{restore(value_text).strip()}'"
        if fraction > 0:
            accepted.append(build.accepted_answer(entry, fraction, _text(feedback, fmt), fmt))
    return build.typed_answers(data, "numeric", accepted)


def _numeric_entry(text: str) -> dict[str, object] | None:
    if ".." in text:
        low, _, high = text.partition("..")
        low_value, high_value = build.number(low), build.number(high)
        if low_value is None or high_value is None:
            return None
        return {"value": build.plain_number((low_value + high_value) / 2),
                "tolerance": build.plain_number(abs(high_value - low_value) / 2)}  # fmt: skip
    value_text, _, tolerance_text = text.partition(":")
    value = build.number(value_text)
    tolerance = build.number(tolerance_text) if tolerance_text else 0.0
    if value is None or tolerance is None:
        return None
    entry: dict[str, object] = {"value": build.plain_number(value)}
    if tolerance:
        entry["tolerance"] = build.plain_number(abs(tolerance))
    return entry


def _short(data: dict[str, object], body: str, fmt: str) -> str | None:
    accepted: list[dict[str, object]] = []
    for part in body.split("="):
        part = part.strip()
        if not part:
            continue
        fraction = 100.0
        if (weight := WEIGHT.match(part)) is not None:
            fraction, part = float(weight.group(1)), part[weight.end() :]
        answer, _, feedback = part.partition("#")
        answer = restore(answer).strip()
        if not answer or fraction <= 0:
            continue
        entry: dict[str, object] = (
            {"regex": build.wildcard_regex(answer)} if "*" in answer else {"text": answer}
        )
        accepted.append(build.accepted_answer(entry, fraction, _text(feedback, fmt), fmt))
    return build.typed_answers(data, "short-text", accepted)
