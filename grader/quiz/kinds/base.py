"""What every question kind provides (the `Kind` protocol), and the values kinds share.

A kind reads a student's raw answer, marks it under a scheme, gives its key, writes its Moodle
XML and GIFT answers and its part of a student's page. Responses are data: `Ticks` for choice
kinds, `Typed` for typed ones, `Invalid` for an answer that cannot be read (`BadAnswer` says
why, in English for the instructor and in French for the student).
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from grader.quiz.answers import RawAnswer
from grader.quiz.schemes import ChoiceKey, Mark
from grader.quiz.shuffle import FormQuestion
from grader.quiz.spec import ChoiceQuestion, MultipleChoice, QuestionBase, Scheme, TrueFalse

if TYPE_CHECKING:
    from grader.quiz.moodle import Out

TRUE_WORDS = {"vrai", "v", "true", "t", "1", "oui", "yes"}
FALSE_WORDS = {"faux", "f", "false", "0", "non", "no"}
SEPARATORS = re.compile(r"[;,|\s]+")


@dataclass(frozen=True)
class Ticks:
    """The options ticked, as ids of the key, and what the student wrote."""

    options: frozenset[str]
    given: str


@dataclass(frozen=True)
class Typed:
    text: str


@dataclass(frozen=True)
class Invalid:
    """An answer that cannot be read: `why` is shown to the student, in French."""

    given: str
    why: str


Response = Ticks | Typed | Invalid


class BadAnswer(Exception):
    """One answer cannot be read; `french` is what the student reads."""

    def __init__(self, english: str, french: str) -> None:
        super().__init__(english)
        self.french = french


@dataclass(frozen=True)
class Marked:
    """A response marked: the mark, what the student gave, the options ticked (key ids)."""

    mark: Mark
    given: str | None
    selected: tuple[str, ...] = ()


PageOptions = list[dict[str, Any]]
Q = TypeVar("Q", bound=QuestionBase, contravariant=True)


class Kind(Protocol[Q]):
    """One question kind; grader/quiz/kinds/__init__.py maps each `kind:` to one."""

    moodle_type: str

    def read(self, question: Q, asked: FormQuestion, raw: RawAnswer, displayed: bool) -> Response:
        """A raw answer (`b;d`, `A;C` with `displayed`, `vrai`, `2,5`); BadAnswer if unreadable."""
        ...

    def read_text(self, question: Q, text: str) -> Response:
        """What Moodle's responses report writes: the chosen options' texts, joined by '; '."""
        ...

    def mark(self, question: Q, scheme: Scheme, response: Response | None) -> Marked: ...

    def key(self, question: Q) -> tuple[str, ...]:
        """The correct options, or the accepted answers, as shown in a report."""
        ...

    def labels(self, question: Q, option_order: tuple[str, ...]) -> dict[str, str]:
        """Option id -> what the student saw (A, B… in `option_order`), in the order shown."""
        ...

    def raw_max(self, question: Q, scheme: Scheme) -> float: ...

    def moodle(self, question: Q, element: ET.Element, out: Out) -> None:
        """The question's answers (and kind-specific settings) in Moodle XML."""
        ...

    def gift(self, question: Q, out: Out) -> str:
        """The question's answer block in GIFT, between the braces."""
        ...

    def page(self, question: Q, asked: FormQuestion) -> tuple[PageOptions, dict[str, Any]]:
        """The options a student's page shows, and what self-check compares the answer with."""
        ...


def choice_key(question: ChoiceQuestion | TrueFalse) -> ChoiceKey:
    """What scoring needs of a choice (or true/false, as options vrai and faux) question."""
    if isinstance(question, TrueFalse):
        correct = "vrai" if question.answer else "faux"
        return ChoiceKey(("vrai", "faux"), frozenset({correct}), single=True)
    ids = question.option_ids()
    weights = {
        oid: option.weight
        for oid, option in zip(ids, question.options, strict=True)
        if option.weight is not None
    }
    exclusive = {oid for oid, option in zip(ids, question.options, strict=True) if option.exclusive}
    return ChoiceKey(
        tuple(ids),
        question.correct_ids(),
        single=not isinstance(question, MultipleChoice),
        weights=weights or None,
        exclusive=frozenset(exclusive),
    )


def fold_text(
    text: str,
    case: bool = True,
    accents: bool = True,
    punctuation: bool = False,
    spaces: bool = True,
) -> str:
    """Text as compared with an accepted answer: each rule can be turned off."""
    folded = text.casefold() if case else text
    if accents:
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    if punctuation:
        folded = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in folded)
    return " ".join(folded.split()) if spaces else folded.strip()
