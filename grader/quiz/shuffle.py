"""One form per student: the questions drawn from pools, their order and their options' order.

The permutation is derived from (quiz id, student id) alone, so rendering the same student twice
gives the same page, and a form can be rebuilt at scoring time to map displayed letters back to
the key. `fixed` options keep their place; true/false questions are never shuffled.
"""

from __future__ import annotations

import hashlib
import random
import string
from dataclasses import dataclass

from grader.quiz.spec import ChoiceQuestion, Quiz


@dataclass(frozen=True)
class FormQuestion:
    question_id: str
    option_order: tuple[str, ...] = ()  # option ids in displayed order; empty if not a choice

    def label_of(self, option_id: str) -> str:
        return display_label(self.option_order.index(option_id))

    def option_at(self, label: str) -> str | None:
        position = string.ascii_uppercase.find(label.strip().upper())
        if len(label.strip()) != 1 or not 0 <= position < len(self.option_order):
            return None
        return self.option_order[position]


@dataclass(frozen=True)
class StudentForm:
    quiz_id: str
    student: str
    questions: tuple[FormQuestion, ...]

    def question_ids(self) -> list[str]:
        return [question.question_id for question in self.questions]

    def get(self, question_id: str) -> FormQuestion | None:
        for question in self.questions:
            if question.question_id == question_id:
                return question
        return None


def display_label(position: int) -> str:
    return string.ascii_uppercase[position]


def seed_of(quiz_id: str, student: str) -> int:
    digest = hashlib.sha256(f"{quiz_id}\x00{student}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def build_form(quiz: Quiz, student: str) -> StudentForm:
    """The questions this student is asked, in their order, with their options' order."""
    rng = random.Random(seed_of(quiz.id, student))
    drawn: set[str] = set()
    pooled: set[str] = set()
    for pool in quiz.pools:
        pooled.update(pool.questions)
        drawn.update(rng.sample(pool.questions, pool.draw))
    asked = [q for q in quiz.questions if q.id not in pooled or q.id in drawn]
    if quiz.shuffle.questions:
        rng.shuffle(asked)
    form_questions = []
    for question in asked:
        order: tuple[str, ...] = ()
        if isinstance(question, ChoiceQuestion):
            order = tuple(question.option_ids())
            if quiz.shuffle.options and question.shuffle:
                order = _shuffle_movable(order, question, rng)
        form_questions.append(FormQuestion(question.id, order))
    return StudentForm(quiz.id, student, tuple(form_questions))


def key_form(quiz: Quiz) -> StudentForm:
    """The unshuffled form: every question (pools included) in the order written."""
    return StudentForm(
        quiz.id,
        "",
        tuple(
            FormQuestion(q.id, tuple(q.option_ids()) if isinstance(q, ChoiceQuestion) else ())
            for q in quiz.questions
        ),
    )


def _shuffle_movable(
    order: tuple[str, ...], question: ChoiceQuestion, rng: random.Random
) -> tuple[str, ...]:
    fixed = [option.fixed for option in question.options]
    movable = [oid for oid, is_fixed in zip(order, fixed, strict=True) if not is_fixed]
    rng.shuffle(movable)
    picks = iter(movable)
    return tuple(
        oid if is_fixed else next(picks) for oid, is_fixed in zip(order, fixed, strict=True)
    )
