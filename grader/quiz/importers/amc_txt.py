"""AMC's plain-text source (AMC-TXT) read into a quiz draft, as AMC's own reader reads it.

From AMC-perl/AMC/Filter/plain.pm: `#` lines are comments; `Name: value` lines are global
options (`Title` is kept, the others are listed as skipped); `*` starts a single-answer
question, `**` a multiple-answer one, followed without spaces by `<…>` (an open question),
`[…]` options (`id=`/`name=` name it, `indicative` makes it unscored) and `{…}` scoring; `+`
and `-` start a right and a wrong answer (`+[x]{…}text`: a letter and a scoring of its own);
any other line continues the last text; `*(` and `*)` open and close a group of questions.
Scoring strings become grader's schemes (`b=…,m=…` → amc, `haut=` → amc-haut, `mz=` →
all-or-nothing) and the quiz sums raw scores as AMC does (`total: amc`). Open and indicative
questions, per-answer scorings and unknown scoring keys are listed as skipped with their line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.quiz.importers.build import number
from grader.quiz.importers.draft import Draft

HEAD = re.compile(r"^(\*{1,2})(<[^>]*>)?(\[[^\]]*\])?(\{[^}]*\})?\s*(.*)$")
GROUP = re.compile(r"^\*[()]")
ANSWER = re.compile(r"^([+-])(\[[^\]]*\])?(\{[^}]*\})?\s*(.*)$")
OPTION = re.compile(r"^([A-Za-z0-9-]+):\s*(.*)$")
AMC_KEYS = {"b", "m", "e", "v", "d", "p"}


@dataclass
class _Question:
    line: int
    multiple: bool
    text: list[str]
    options: list[tuple[bool, list[str]]] = field(default_factory=list)
    scoring: str = ""
    name: str = ""
    open_question: bool = False
    indicative: bool = False
    answer_scoring: bool = False


def read(text: str, path: Path) -> Draft:
    draft = Draft(title=path.stem, scheme={"kind": "amc", "total": "amc"})
    questions: list[_Question] = []
    current: _Question | None = None
    for line_number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if (option := OPTION.match(stripped)) is not None:
            _global_option(draft, line_number, option)
            current = None
        elif GROUP.match(stripped):
            current = None  # a group's header or footer: its questions are read as the others
        elif (head := HEAD.match(stripped)) is not None:
            current = _question(line_number, head)
            questions.append(current)
        elif current is None:
            continue  # text of a group header, or before any question
        elif (choice := ANSWER.match(stripped)) is not None:
            current.options.append((choice.group(1) == "+", [choice.group(4).strip()]))
            current.answer_scoring |= choice.group(3) is not None
        elif current.options:
            current.options[-1][1].append(stripped)
        else:
            current.text.append(stripped)
    for question in questions:
        _convert(draft, question)
    return draft


def _global_option(draft: Draft, line: int, option: re.Match[str]) -> None:
    if option.group(1).lower() == "title":
        draft.title = option.group(2).strip()
    else:
        draft.skip(line, f"global option '{option.group(0)[:60]}' has no counterpart in grader")


def _question(line: int, head: re.Match[str]) -> _Question:
    options = dict(_option(part) for part in (head.group(3) or "[]")[1:-1].split(",") if part)
    question = _Question(line, head.group(1) == "**", [head.group(5)])
    question.open_question = head.group(2) is not None
    question.indicative = "indicative" in options
    question.scoring = (head.group(4) or "{}")[1:-1]
    question.name = options.get("id") or options.get("name") or ""
    return question


def _option(part: str) -> tuple[str, str]:
    key, _, value = part.partition("=")
    return key.strip(), value.strip()


def _convert(draft: Draft, question: _Question) -> None:
    if question.open_question:
        draft.skip(question.line, "an open question (*<…>) is not a choice question")
        return
    if question.indicative:
        draft.skip(question.line, "an indicative question is not scored")
        return
    if question.answer_scoring:
        draft.skip(question.line, "a scoring on an answer ({…} after + or -) is not kept")
    right = [n for n, (correct, _) in enumerate(question.options) if correct]
    if len(question.options) < 2 or not right:
        draft.skip(question.line, "a question needs two answers, one of them right (+)")
        return
    if not question.multiple and len(right) > 1:
        draft.skip(question.line, "a simple question (*) with several right answers (+)")
        return
    qid = draft.unique_id(question.name, f"q{len(draft.questions) + 1}")
    data: dict[str, Any] = {
        "id": qid,
        "kind": "multiple" if question.multiple else "single",
        "text": "\n".join(question.text).strip(),
    }
    scheme = _scheme(draft, question)
    if scheme is not None:
        data["scheme"] = scheme
    data["options"] = [
        {"text": " ".join(lines), "correct": True} if correct else {"text": " ".join(lines)}
        for correct, lines in question.options
    ]
    draft.questions.append(data)


def _scheme(draft: Draft, question: _Question) -> dict[str, Any] | None:
    if not question.scoring.strip():
        return None
    values: dict[str, float] = {}
    for part in question.scoring.split(","):
        key, _, raw = part.partition("=")
        value = number(raw)
        if value is None:
            draft.skip(question.line, f"scoring '{question.scoring}': '{part}' is not key=number")
            return None
        values[key.strip()] = value
    if set(values) == {"haut"}:
        return {"kind": "amc-haut", "haut": values["haut"]}
    if set(values) == {"mz"}:
        if values["mz"] != 1:
            draft.skip(question.line, f"mz={values['mz']:g} is scored as all-or-nothing out of 1")
        return {"kind": "all-or-nothing"}
    if set(values) <= AMC_KEYS:
        return {"kind": "amc", **values}
    draft.skip(question.line, f"scoring '{question.scoring}' has keys grader does not know")
    return None
