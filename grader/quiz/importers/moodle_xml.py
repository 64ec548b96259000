"""Moodle XML (docs.moodle.org/en/Moodle_XML_format) read into a quiz draft.

multichoice, truefalse, numerical and shortanswer become grader's kinds; every other type
(essay, matching, cloze, description…) is listed as skipped with its line. The first category
gives the title; a sub-category whose description says `grader pool: draw N` (what grader's
export writes) is a pool, any other category a topic of its questions. The scheme is Moodle's,
so the imported quiz scores as Moodle did. A DOCTYPE is refused, so no entity is declared,
let alone expanded (the billion-laughs bomb needs one).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from grader.errors import ConfigError
from grader.quiz.importers import build
from grader.quiz.importers.draft import Draft

POOL = re.compile(r"grader pool: draw (\d+)")
KINDS = {"multichoice", "truefalse", "numerical", "shortanswer"}


def read(text: str, path: Path) -> Draft:
    if "<!DOCTYPE" in text[:4096].upper():
        raise ConfigError(path, "a DOCTYPE is not accepted in a Moodle XML file", line=1)
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ConfigError(path, f"invalid XML: {exc}", line=exc.position[0]) from None
    if root.tag != "quiz":
        raise ConfigError(path, f"expected a <quiz> root element, found <{root.tag}>", line=1)
    reader = _Reader(Draft(title=path.stem, scheme={"kind": "moodle"}))
    for element, line in zip(root.findall("question"), question_lines(text), strict=False):
        reader.question(element, line)
    return reader.draft


def question_lines(text: str) -> list[int]:
    """The line of each `<question` tag, CDATA sections (which may hold one) blanked out."""
    visible = re.sub(
        r"<!\[CDATA\[.*?\]\]>", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S
    )
    return [visible.count("\n", 0, m.start()) + 1 for m in re.finditer(r"<question[\s>]", visible)]


class _Reader:
    def __init__(self, draft: Draft) -> None:
        self.draft = draft
        self.base: str | None = None
        self.topic: str | None = None
        self.pool: dict[str, Any] | None = None

    def question(self, element: ET.Element, line: int) -> None:
        kind = element.get("type", "")
        if kind == "category":
            self.category(element)
        elif kind in KINDS:
            data = self.convert(element, kind, line)
            if data is not None:
                self.draft.add(data, self.pool)
        else:
            name = _text(element, "name/text")
            self.draft.skip(line, f"question '{name}' of type '{kind}'")

    def category(self, element: ET.Element) -> None:
        path = build.CATEGORY_PREFIX.sub("", _text(element, "category/text")).strip("/")
        if self.base is None or not (path + "/").startswith(self.base + "/"):
            self.base, self.topic, self.pool = path, None, None
            if not self.draft.questions:
                self.draft.title = path.rsplit("/", 1)[-1] if "/" in path else path
            return
        rest = path[len(self.base) + 1 :]
        draw = POOL.search(_text(element, "info/text"))
        if draw is None:
            self.topic, self.pool = rest or None, None
            return
        self.topic = None
        pool_id = self.draft.unique_id(rest, f"pool-{len(self.draft.pools) + 1}")
        self.pool = {"id": pool_id, "draw": int(draw.group(1)), "questions": []}
        self.draft.pools.append(self.pool)

    def convert(self, element: ET.Element, kind: str, line: int) -> dict[str, object] | None:
        draft = self.draft
        name = _text(element, "name/text")
        qid = draft.unique_id(name, f"q{len(draft.questions) + 1}")
        answers = element.findall("answer")
        texts = [_rich(element, "questiontext"), _rich(element, "generalfeedback")]
        if kind == "multichoice":
            texts += [_rich(answer, ".") for answer in answers]
        texts += [_rich(answer, "feedback") for answer in answers]
        fmt = build.question_format(texts)
        topics = [_text(tag, "text") for tag in element.findall("tags/tag")]
        topics += [self.topic] if self.topic else []
        points = build.number(_text(element, "defaultgrade") or "1")
        data = build.base(
            qid,
            "",
            build.convert(texts[0], fmt),
            fmt,
            1.0 if points is None else points,
            topics,
            build.convert(texts[1], fmt),
        )
        problem = _BODIES[kind](data, element, answers, fmt)
        if problem is not None:
            draft.skip(line, f"question '{name}': {problem}")
            draft.release(qid)
            return None
        return data


def _multichoice(
    data: dict[str, object], element: ET.Element, answers: list[ET.Element], fmt: str
) -> str | None:
    single = _text(element, "single").lower() not in {"false", "0", ""}
    choices = [
        build.Choice(
            _rich(answer, ".") or build.Text("", "html"),
            _fraction(answer),
            _rich(answer, "feedback"),
        )
        for answer in answers
    ]
    if len(choices) < 2:
        return "fewer than two answers"
    options = build.choice_options(choices, single, fmt)
    if isinstance(options, str):
        return options
    data["kind"] = "single" if single else "multiple"
    if _text(element, "shuffleanswers") in {"0", "false"}:
        data["shuffle"] = False
    data["options"] = options
    return None


def _truefalse(
    data: dict[str, object], element: ET.Element, answers: list[ET.Element], fmt: str
) -> str | None:
    by_word = {_text(answer, "text").lower(): answer for answer in answers}
    if set(by_word) != {"true", "false"}:
        return "a true/false question needs the answers 'true' and 'false'"
    data["kind"] = "true-false"
    data["answer"] = _fraction(by_word["true"]) > 0
    for word, key in (("true", "feedback_true"), ("false", "feedback_false")):
        feedback = build.convert(_rich(by_word[word], "feedback"), fmt)
        if feedback:
            data[key] = feedback
    return None


def _numerical(
    data: dict[str, object], element: ET.Element, answers: list[ET.Element], fmt: str
) -> str | None:
    accepted: list[dict[str, object]] = []
    for answer in answers:
        value, fraction = build.number(_text(answer, "text")), _fraction(answer)
        if value is None or fraction <= 0:
            continue  # `*` (any other answer) or a feedback-only answer: nothing to accept
        entry: dict[str, object] = {"value": build.plain_number(value)}
        tolerance = build.number(_text(answer, "tolerance") or "0")
        if tolerance:
            entry["tolerance"] = build.plain_number(abs(tolerance))
        accepted.append(build.accepted_answer(entry, fraction, _rich(answer, "feedback"), fmt))
    return build.typed_answers(data, "numeric", accepted)


def _shortanswer(
    data: dict[str, object], element: ET.Element, answers: list[ET.Element], fmt: str
) -> str | None:
    accepted: list[dict[str, object]] = []
    for answer in answers:
        text, fraction = _text(answer, "text"), _fraction(answer)
        if not text or fraction <= 0:
            continue
        entry: dict[str, object] = (
            {"regex": build.wildcard_regex(text)} if "*" in text else {"text": text}
        )
        accepted.append(build.accepted_answer(entry, fraction, _rich(answer, "feedback"), fmt))
    if _text(element, "usecase") == "1":
        data["normalise"] = {"case": False}
    return build.typed_answers(data, "short-text", accepted)


_BODIES = {
    "multichoice": _multichoice,
    "truefalse": _truefalse,
    "numerical": _numerical,
    "shortanswer": _shortanswer,
}


def _text(element: ET.Element, path: str) -> str:
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


def _rich(element: ET.Element, path: str) -> build.Text | None:
    found = element.find(path)
    if found is None:
        return None
    return build.Text(_text(found, "text"), found.get("format", "html"))


def _fraction(answer: ET.Element) -> float:
    value = build.number(answer.get("fraction", "0"))
    return 0.0 if value is None else value
