"""A Markdown checklist and its answer key (« Corrigé ») read into a quiz draft.

The shape French course handouts use: a `# Title`, then questions, each a heading (`## …`) or
a numbered line (`1.`, `**Q2.**`), its text, and its options as task-list items (`- [ ] …`,
`- [x] …` for a right one). « (plusieurs réponses possibles) » in a question makes it
multiple-answer (and is removed from the text). The key is a section whose heading says
« Corrigé » (or a separate file given with `--key`): one line per question, its number then
its letters (`1. b, c`, `Q2 : A`, `3 → 1256` for a question without options, read as a number
when it is one, else as a short text). A question without a key entry nor a ticked option,
and a key letter past the options, are listed as skipped with their line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.quiz.importers.build import number
from grader.quiz.importers.draft import Draft

TITLE = re.compile(r"^#\s+(.+)$")
HEADING = re.compile(r"^#{2,6}\s+(.+)$")
NUMBERED = re.compile(r"^(?:\*\*)?(?:Q(?:uestion)?\s*)?(\d+)\s*[.)]\s*(?:\*\*)?\s*(.*)$", re.I)
HEADING_NUMBER = re.compile(r"^(?:Q(?:uestion)?\s*)?(\d+)\b\s*[.):—–-]*\s*(.*)$", re.I)
OPTION = re.compile(r"^[-*+]\s+\[([ xX])\]\s+(.*)$")
KEY_HEADING = re.compile(r"corrig|answer key|réponses attendues", re.I)
KEY_LINE = re.compile(
    r"^[-*]?\s*(?:\*\*)?(?:Q(?:uestion)?\s*)?(\d+)\s*(?:\*\*)?\s*[.):=→\-–—]*\s*(.+)$", re.I
)
SEVERAL = re.compile(r"\s*\(\s*plusieurs\s+réponses\s+possibles\s*\)\s*", re.I)
LETTERS = re.compile(r"\s*(?:,|;|/|\bet\b|\band\b|\s)\s*", re.I)


@dataclass
class _Question:
    line: int
    number: int
    text: list[str]
    options: list[tuple[bool, str]] = field(default_factory=list)


def read(text: str, path: Path, key: tuple[str, Path] | None = None) -> Draft:
    draft = Draft(title=path.stem)
    questions: list[_Question] = []
    answers: dict[int, tuple[int, str]] = {}
    in_key = False
    for line_number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if (title := TITLE.match(stripped)) is not None and not questions and not in_key:
            draft.title = title.group(1).strip()
        elif (heading := HEADING.match(stripped)) is not None:
            in_key = KEY_HEADING.search(heading.group(1)) is not None
            if not in_key:
                questions.append(_start(heading.group(1), line_number, len(questions)))
        elif in_key:
            _key_line(answers, line_number, stripped)
        elif (option := OPTION.match(stripped)) is not None and questions:
            questions[-1].options.append((option.group(1) != " ", option.group(2).strip()))
        elif (numbered := NUMBERED.match(line)) is not None:  # not indented: a new question
            questions.append(_Question(line_number, int(numbered.group(1)), [numbered.group(2)]))
        elif questions and not questions[-1].options:
            questions[-1].text.append(line.rstrip())
    if key is not None:
        for line_number, line in enumerate(key[0].splitlines(), start=1):
            _key_line(answers, line_number, line.strip())
    for question in questions:
        _convert(draft, question, answers.get(question.number))
    return draft


def _start(heading: str, line: int, count: int) -> _Question:
    numbered = HEADING_NUMBER.match(heading)
    if numbered is not None:
        return _Question(line, int(numbered.group(1)), [numbered.group(2)])
    return _Question(line, count + 1, [heading])


def _key_line(answers: dict[int, tuple[int, str]], line: int, text: str) -> None:
    found = KEY_LINE.match(text)
    if found is not None:
        answers[int(found.group(1))] = (line, found.group(2).strip().strip("*").strip())


def _convert(draft: Draft, question: _Question, key: tuple[int, str] | None) -> None:
    text = "\n".join(question.text).strip()
    several = SEVERAL.search(text) is not None
    text = SEVERAL.sub(" ", text).strip()
    data: dict[str, Any] = {"id": draft.unique_id(f"q{question.number}", "q"), "text": text}
    typed = not question.options
    problem = _typed(data, key) if typed else _choices(data, question, key, several)
    if problem is not None:
        draft.skip(key[0] if key and "key" in problem else question.line, problem)
        draft.release(data["id"])
        return
    draft.questions.append(data)


def _typed(data: dict[str, Any], key: tuple[int, str] | None) -> str | None:
    if key is None:
        return "a question without options and without an answer in the key"
    value = number(key[1])
    if value is not None:
        plain = int(value) if value.is_integer() else value
        data.update({"kind": "numeric", "answers": [{"value": plain}]})
    else:
        data.update({"kind": "short-text", "answers": [{"text": key[1]}]})
    return None


def _choices(
    data: dict[str, Any], question: _Question, key: tuple[int, str] | None, several: bool
) -> str | None:
    right = {n for n, (ticked, _) in enumerate(question.options) if ticked}
    if key is not None:
        right = set()
        for letter in (part for part in LETTERS.split(key[1]) if part):
            position = ord(letter.upper()) - ord("A") if len(letter) == 1 else -1
            if not 0 <= position < len(question.options):
                return (
                    f"the key gives '{letter}' to question {question.number}, which has "
                    f"{len(question.options)} options"
                )
            right.add(position)
    if not right:
        return f"question {question.number} has no answer in the key and no ticked option"
    data["kind"] = "multiple" if several or len(right) > 1 else "single"
    data["options"] = [
        {"text": text, "correct": True} if n in right else {"text": text}
        for n, (_, text) in enumerate(question.options)
    ]
    return None
