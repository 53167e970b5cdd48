"""Variants: what one learner sees of a quiz, fixed by a seed.

A variant is the order of each question's options (or ordering items) and the values of its
params. The seed is chosen by `--seed`, or derived from the learner's user name and the quiz
id with sha256, so a learner gets the same variant every time and on every machine (Python's
own hash() is salted per process and would not do).

Each question draws from its own generator, seeded from the quiz seed and the question id,
so adding or moving a question leaves the others' variants unchanged.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from grader.quiz.expression import evaluate
from grader.quiz.models import (
    MultipleChoice,
    Numeric,
    Ordering,
    Param,
    Question,
    Quiz,
    Range,
    SingleChoice,
    fill_placeholders,
)

_SEED_BYTES = 8


def _digest_seed(*parts: str) -> int:
    data = "\0".join(parts).encode("utf-8")
    return int.from_bytes(hashlib.sha256(data).digest()[:_SEED_BYTES], "big")


def current_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        # No login name (some containers): fall back on the environment, then a constant.
        return os.environ.get("USER") or os.environ.get("USERNAME") or "learner"


def default_seed(user: str, quiz_id: str) -> int:
    """The seed of a learner's variant: the first 8 bytes of sha256(user NUL quiz_id)."""
    return _digest_seed(user, quiz_id)


@dataclass(frozen=True)
class QuestionVariant:
    order: tuple[str, ...] = ()  # option or item ids, in the order shown
    params: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class QuizVariant:
    seed: int
    questions: dict[str, QuestionVariant]

    def of(self, question: Question) -> QuestionVariant:
        return self.questions[question.id]


def draw_param(param: Param, rng: random.Random) -> float:
    if isinstance(param, Range):
        # + 0.0 turns a rounded -0.0 into 0.0, which prints as "0".
        return round(rng.uniform(param.low, param.high), 2) + 0.0
    return float(rng.choice(param.choices))


def _shuffled(ids: Sequence[str], rng: random.Random) -> tuple[str, ...]:
    order = list(ids)
    rng.shuffle(order)
    return tuple(order)


def draw_question(quiz: Quiz, question: Question, seed: int) -> QuestionVariant:
    rng = random.Random(_digest_seed(str(seed), question.id))
    if isinstance(question, SingleChoice | MultipleChoice):
        ids = [option.id for option in question.options]
        return QuestionVariant(order=_shuffled(ids, rng) if quiz.shuffles(question) else tuple(ids))
    if isinstance(question, Ordering):
        right = tuple(item.id for item in question.items)
        order = _shuffled(right, rng)
        if order == right:
            # Shown in the right order the question would answer itself: rotate by one.
            order = order[1:] + order[:1]
        return QuestionVariant(order=order)
    if isinstance(question, Numeric):
        return QuestionVariant(
            params={name: draw_param(p, rng) for name, p in question.params.items()}
        )
    return QuestionVariant()


def draw(quiz: Quiz, seed: int) -> QuizVariant:
    return QuizVariant(seed, {q.id: draw_question(quiz, q, seed) for q in quiz.questions})


def expected_value(question: Numeric, params: dict[str, float]) -> float:
    """The right answer of a numeric question for these param values."""
    return evaluate(question.expression, params)


def format_number(value: float) -> str:
    """A param or answer as a learner reads it: 2 rather than 2.0, and no float noise."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def render_prompt(question: Question, variant: QuestionVariant) -> str:
    """The prompt with the variant's param values in place of `{name}`."""
    if not variant.params:
        return question.prompt
    values = {name: format_number(value) for name, value in variant.params.items()}
    return fill_placeholders(question.prompt, values)
