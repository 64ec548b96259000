"""AMC's plain-text source (AMC-TXT) read into a quiz draft.

`*` starts a single-answer question, `**` a multiple-answer one; `[…]` options and `{…}`
scoring may follow the stars; `+` lines are right answers, `-` lines wrong ones; a line that
starts none of these continues the text before it; `#` lines are comments; `Key: value` lines
before the first question are global options, of which `Title` is kept. Scoring strings become
grader's schemes (`b=…,m=…` → amc, `haut=` → amc-haut, `mz=` → all-or-nothing) and the quiz
sums raw scores as AMC does (`total: amc`). Open questions (`*<…>`), unknown scoring keys and
other global options are listed as skipped with their line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.quiz.importers.build import number
from grader.quiz.importers.draft import Draft

HEAD = re.compile(r"^(\*{1,2})(<[^>]*>)?\s*(\[[^\]]*\])?\s*(\{[^}]*\})?\s*(.*)$")
OPTION = re.compile(r"^([A-Za-z][A-Za-z0-9]*)\s*:\s*(.*)$")
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


def read(text: str, path: Path) -> Draft:
    draft = Draft(title=path.stem, scheme={"kind": "amc", "total": "amc"})
    questions: list[_Question] = []
    current: _Question | None = None
    for line_number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        head = HEAD.match(stripped)
        if head is not None:
            current = _Question(line_number, head.group(1) == "**", [head.group(5)])
            current.open_question = head.group(2) is not None
            current.scoring = (head.group(4) or "{}")[1:-1]
            current.name = _option_id(head.group(3) or "")
            questions.append(current)
        elif current is None:
            _global_option(draft, line_number, stripped)
        elif stripped[0] in "+-" and stripped[1:2] in {" ", "\t"}:
            current.options.append((stripped[0] == "+", [stripped[2:].strip()]))
        elif current.options:
            current.options[-1][1].append(stripped)
        else:
            current.text.append(stripped)
    for question in questions:
        _convert(draft, question)
    return draft


def _global_option(draft: Draft, line: int, text: str) -> None:
    option = OPTION.match(text)
    if option is not None and option.group(1).lower() == "title":
        draft.title = option.group(2).strip()
    else:
        draft.skip(line, f"global option '{text[:60]}' has no counterpart in grader")


def _option_id(options: str) -> str:
    found = re.search(r"id\s*=\s*([^,\]\s]+)", options)
    return found.group(1) if found else ""


def _convert(draft: Draft, question: _Question) -> None:
    if question.open_question:
        draft.skip(question.line, "an open question (*<…>) is not a choice question")
        return
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
