"""A printable Markdown handout of one variant, with the answer key at the end if asked.

Options are lettered in the variant's order, as the terminal shows them, so a learner's
handout and `bpgrade quiz NAME --seed N` agree.
"""

from __future__ import annotations

import re

from grader.quiz.models import (
    MultipleChoice,
    Numeric,
    Ordering,
    Question,
    Quiz,
    SingleChoice,
    TrueFalse,
)
from grader.quiz.variants import QuizVariant, expected_value, format_number, render_prompt

LETTERS = "abcdefghijklmnopqrstuvwxyz"
_CODE_SPAN = re.compile(r"(`[^`]*`)")


def escape(text: str) -> str:
    """Markdown-safe text: `*`, `_` and backslashes outside code spans are escaped, so that
    `w*x + b` stays a product and not the start of emphasis."""
    parts = _CODE_SPAN.split(text)
    for i in range(0, len(parts), 2):
        parts[i] = re.sub(r"([\\*_])", r"\\\1", parts[i])
    return "".join(parts)


def _points(value: float) -> str:
    return f"{format_number(value)} point{'' if value == 1 else 's'}"


def _texts(question: Question) -> dict[str, str]:
    if isinstance(question, SingleChoice | MultipleChoice):
        return {option.id: option.text for option in question.options}
    if isinstance(question, Ordering):
        return {item.id: item.text for item in question.items}
    return {}


def _body(question: Question, variant: QuizVariant) -> list[str]:
    order = variant.of(question).order
    texts = _texts(question)
    if isinstance(question, SingleChoice):
        return [
            f"- ( ) {letter}) {escape(texts[i])}" for letter, i in zip(LETTERS, order, strict=False)
        ]
    if isinstance(question, MultipleChoice):
        return [
            f"- [ ] {letter}) {escape(texts[i])}" for letter, i in zip(LETTERS, order, strict=False)
        ]
    if isinstance(question, Ordering):
        lines = [
            f"- {letter}) {escape(texts[i])}" for letter, i in zip(LETTERS, order, strict=False)
        ]
        return [*lines, "", "Order: ____________________"]
    if isinstance(question, TrueFalse):
        return ["- ( ) True", "- ( ) False"]
    return ["Answer: ____________________"]


def _note(question: Question) -> str:
    note = _points(question.points)
    if isinstance(question, MultipleChoice):
        note += ", choose all that apply"
    elif isinstance(question, Ordering):
        note += ", write the letters in order"
    return f"*{note}*"


def _key(question: Question, variant: QuizVariant) -> str:
    order = variant.of(question).order
    letter_of = {entry_id: LETTERS[i] for i, entry_id in enumerate(order)}
    texts = _texts(question)
    if isinstance(question, SingleChoice | MultipleChoice):
        right = sorted(question.correct_ids, key=letter_of.__getitem__)
        answer = "; ".join(f"{letter_of[i]}) {escape(texts[i])}" for i in right)
    elif isinstance(question, Ordering):
        answer = " ".join(letter_of[item.id] for item in question.items)
    elif isinstance(question, TrueFalse):
        answer = "True" if question.answer else "False"
    else:
        assert isinstance(question, Numeric)
        answer = format_number(expected_value(question, variant.of(question).params))
        if question.tolerance:
            answer += f" (± {format_number(question.tolerance)})"
        elif question.rtol:
            answer += f" (within {format_number(100 * question.rtol)}%)"
    return f"**{answer}**. {escape(question.explanation)}"


def to_markdown(quiz: Quiz, variant: QuizVariant, answer_key: bool = False) -> str:
    lines = [f"# {escape(quiz.title)}", ""]
    if quiz.description:
        lines += [escape(quiz.description), ""]
    lines += [
        f"{len(quiz.questions)} questions, {_points(quiz.max_score)}. Variant {variant.seed}.",
        "",
    ]
    for number, question in enumerate(quiz.questions, start=1):
        prompt = escape(render_prompt(question, variant.of(question)))
        lines += [f"## Question {number}", "", _note(question), "", prompt, ""]
        lines += [*_body(question, variant), ""]
    if answer_key:
        lines += ["## Answer key", ""]
        for number, question in enumerate(quiz.questions, start=1):
            lines.append(f"{number}. {_key(question, variant)}")
        lines.append("")
    return "\n".join(lines)
