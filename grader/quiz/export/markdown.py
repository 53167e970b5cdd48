"""A printable Markdown handout of one variant, with the answer key at the end if asked.

Options are lettered in the variant's order, as the terminal shows them, so a learner's
handout and `bpgrade quiz NAME --seed N` agree. The key gives, for a numeric question, the
band grading accepts (the larger of `tolerance` and `rtol` times the answer, with both rules
and the resulting interval), and under each answer the feedback a learner gets for each
option, wrong true/false answer or known numeric mistake.
"""

from __future__ import annotations

import re

from grader.quiz.export.common import NumericKey, counted, numeric_key
from grader.quiz.expression import ExpressionError, evaluate
from grader.quiz.models import (
    MultipleChoice,
    Numeric,
    Ordering,
    Question,
    Quiz,
    SingleChoice,
    TrueFalse,
)
from grader.quiz.variants import QuizVariant, format_number, render_prompt

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
    return counted(value, "point")


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


def _tolerance(question: Numeric, key: NumericKey) -> str:
    """The band grading accepts, and the rule it comes from, as numbers a person checks."""
    if key.margin == 0:
        return "exactly"
    band = f"± {format_number(key.margin)}"
    relative = f"{format_number(100 * question.rtol)}% of the answer" if question.rtol else ""
    if question.tolerance and relative:
        band += f", the larger of ± {format_number(question.tolerance)} and {relative}"
    elif relative:
        band += f", {relative}"
    low, high = key.expected - key.margin, key.expected + key.margin
    return f"{band}: accepted from {format_number(low)} to {format_number(high)}"


def _feedback_lines(question: Question, variant: QuizVariant) -> list[str]:
    """What a learner is told for each answer the file gives feedback for, as sub-items."""
    order = variant.of(question).order
    letter_of = {entry_id: LETTERS[i] for i, entry_id in enumerate(order)}
    lines = []
    if isinstance(question, SingleChoice | MultipleChoice):
        options = sorted(question.options, key=lambda option: letter_of[option.id])
        for option in options:
            if option.feedback:
                text = f"{letter_of[option.id]}) {escape(option.text)}"
                lines.append(f"{text}: {escape(option.feedback)}")
    elif isinstance(question, TrueFalse) and question.wrong_feedback:
        wrong_truth = "False" if question.answer else "True"
        lines.append(f"{wrong_truth}: {escape(question.wrong_feedback)}")
    elif isinstance(question, Numeric):
        params = variant.of(question).params
        for mistake in question.mistakes:
            try:
                wrong = evaluate(mistake.parsed, params)
            except ExpressionError:
                continue
            lines.append(f"{format_number(wrong)}: {escape(mistake.feedback)}")
    return [f"   - {line}" for line in lines]


def _key(question: Question, variant: QuizVariant) -> list[str]:
    order = variant.of(question).order
    letter_of = {entry_id: LETTERS[i] for i, entry_id in enumerate(order)}
    texts = _texts(question)
    if isinstance(question, SingleChoice | MultipleChoice):
        right = sorted(question.correct_ids, key=letter_of.__getitem__)
        answer = "**" + "; ".join(f"{letter_of[i]}) {escape(texts[i])}" for i in right) + "**"
    elif isinstance(question, Ordering):
        answer = "**" + " ".join(letter_of[item.id] for item in question.items) + "**"
    elif isinstance(question, TrueFalse):
        answer = "**True**" if question.answer else "**False**"
    else:
        assert isinstance(question, Numeric)
        key = numeric_key(question, variant)
        answer = f"**{format_number(key.expected)}** ({_tolerance(question, key)})"
    return [f"{answer}. {escape(question.explanation)}", *_feedback_lines(question, variant)]


def to_markdown(quiz: Quiz, variant: QuizVariant, answer_key: bool = False) -> str:
    lines = [f"# {escape(quiz.title)}", ""]
    if quiz.description:
        lines += [escape(quiz.description), ""]
    lines += [
        f"{counted(len(quiz.questions), 'question')}, {_points(quiz.max_score)}. "
        f"Variant {variant.seed}.",
        "",
    ]
    for number, question in enumerate(quiz.questions, start=1):
        prompt = escape(render_prompt(question, variant.of(question)))
        lines += [f"## Question {number}", "", _note(question), "", prompt, ""]
        lines += [*_body(question, variant), ""]
    if answer_key:
        lines += ["## Answer key", ""]
        for number, question in enumerate(quiz.questions, start=1):
            first, *feedback = _key(question, variant)
            lines += [f"{number}. {first}", *feedback]
        lines.append("")
    return "\n".join(lines)
