"""The interactive quiz: one question at a time in the terminal.

Options are lettered a, b, c... in the learner's variant order. A reply is parsed by
`parse_reply` into the same answer values an answers file holds, and graded by the same
rules. After each answer the learner reads right or wrong, the feedback of the options they
chose, the right answer when they missed it, and the explanation; at the end, the score.
A reply that cannot be read asks again. End of input (Ctrl-D) or Ctrl-C stops the quiz
cleanly, saying how far the learner got; the caller then exits with 1 and records nothing,
so an abandoned attempt never replaces a finished one.
"""

from __future__ import annotations

import os
import re
import shutil
import string
import textwrap
from dataclasses import dataclass

import click

from grader.quiz.answers import AnswerValue
from grader.quiz.expression import ExpressionError, evaluate, parse_expression
from grader.quiz.grading import QuestionResult, QuizResult, grade_question, total
from grader.quiz.models import (
    MultipleChoice,
    Numeric,
    Ordering,
    Question,
    Quiz,
    SingleChoice,
    TrueFalse,
)
from grader.quiz.variants import (
    QuestionVariant,
    QuizVariant,
    expected_value,
    format_number,
    render_prompt,
)

LETTERS = string.ascii_lowercase
_TRUE = ("t", "true", "y", "yes")
_FALSE = ("f", "false", "n", "no")


class ReplyError(ValueError):
    """A reply that cannot be read as an answer; the message says what to type."""


@dataclass(frozen=True)
class SessionOutcome:
    result: QuizResult  # the questions answered so far
    finished: bool


# --- output ------------------------------------------------------------------------------


def style(text: str, **styles: object) -> str:
    # click drops colour when stdout is not a terminal; NO_COLOR (no-color.org) drops it always.
    if os.environ.get("NO_COLOR"):
        return text
    return click.style(text, **styles)  # type: ignore[arg-type]


def _width() -> int:
    return max(40, min(shutil.get_terminal_size((80, 24)).columns, 100))


def echo_wrapped(
    text: str, indent: str = "", hanging: str | None = None, bold_indent: bool = False
) -> None:
    """Print `text` wrapped at word boundaries to the terminal, keeping its own newlines;
    continuation lines are indented by `hanging` (by default as deep as `indent`)."""
    rest = " " * len(indent) if hanging is None else hanging
    for number, paragraph in enumerate(text.splitlines() or [""]):
        first = indent if number == 0 else rest
        wrapped = textwrap.fill(
            paragraph,
            _width(),
            initial_indent=first,
            subsequent_indent=rest,
            break_long_words=False,
        )
        if number == 0 and bold_indent and wrapped.startswith(indent):
            wrapped = style(indent, bold=True) + wrapped[len(indent) :]
        click.echo(wrapped or first.rstrip())


def _points(value: float) -> str:
    return f"{format_number(value)} point{'' if value == 1 else 's'}"


def _letter_range(count: int) -> str:
    return f"a to {LETTERS[count - 1]}"


# --- reading replies ---------------------------------------------------------------------


def _letters(reply: str, count: int) -> list[str]:
    """The letters of a reply such as "a c", "ac", "a,c" or "A, C"; refuses anything else."""
    compact = re.sub(r"[\s,;)]+", "", reply.lower())
    if not compact or any(char not in LETTERS[:count] for char in compact):
        raise ReplyError(f"Type letters from {_letter_range(count)}.")
    return list(compact)


def parse_reply(question: Question, variant: QuestionVariant, reply: str) -> AnswerValue:
    """The answer a typed reply means, in the variant's lettering."""
    reply = reply.strip()
    if isinstance(question, SingleChoice):
        message = f"Type one letter, {_letter_range(len(variant.order))}."
        try:
            letters = _letters(reply, len(variant.order))
        except ReplyError:
            raise ReplyError(message) from None
        if len(letters) != 1:
            raise ReplyError(message)
        return variant.order[LETTERS.index(letters[0])]
    if isinstance(question, MultipleChoice):
        count = len(variant.order)
        if not reply:
            raise ReplyError(f"Type one or more letters from {_letter_range(count)}, like: a c")
        letters = list(dict.fromkeys(_letters(reply, count)))
        return [variant.order[LETTERS.index(letter)] for letter in letters]
    if isinstance(question, Ordering):
        count = len(variant.order)
        example = " ".join(reversed(LETTERS[:count]))
        message = f"Type all {count} letters once each, in order, like: {example}"
        try:
            letters = _letters(reply, count)
        except ReplyError:
            raise ReplyError(message) from None
        if sorted(letters) != list(LETTERS[:count]):
            raise ReplyError(message)
        return [variant.order[LETTERS.index(letter)] for letter in letters]
    if isinstance(question, TrueFalse):
        if reply.lower() in _TRUE:
            return True
        if reply.lower() in _FALSE:
            return False
        raise ReplyError("Type t or f (true or false).")
    if isinstance(question, Numeric):
        # Arithmetic such as 1/4 or 2*0.3*0.7 is welcome: it is parsed by the safe language.
        try:
            return evaluate(parse_expression(reply, names=()), {})
        except ExpressionError:
            raise ReplyError(
                "Type a number, like 0.25 (arithmetic such as 1/4 works too)."
            ) from None
    raise TypeError(f"no reply format for {type(question).__name__}")


def _ask_hint(question: Question, variant: QuestionVariant) -> str:
    count = len(variant.order)
    if isinstance(question, SingleChoice):
        return f"Your answer ({_letter_range(count)})"
    if isinstance(question, MultipleChoice):
        return "Your answers (one or more letters)"
    if isinstance(question, Ordering):
        return "Your order (all the letters)"
    if isinstance(question, TrueFalse):
        return "True or false (t/f)"
    return "Your answer (a number)"


# --- showing questions and feedback ------------------------------------------------------


def _entry_texts(question: Question) -> dict[str, str]:
    if isinstance(question, SingleChoice | MultipleChoice):
        return {option.id: option.text for option in question.options}
    if isinstance(question, Ordering):
        return {item.id: item.text for item in question.items}
    return {}


def show_question(question: Question, variant: QuestionVariant, number: int, count: int) -> None:
    note = _points(question.points)
    if isinstance(question, MultipleChoice):
        note += ", choose all that apply"
    elif isinstance(question, Ordering):
        note += ", put them in order"
    click.echo()
    click.echo(style(f"Question {number} of {count}", bold=True) + style(f"  ({note})", dim=True))
    echo_wrapped(render_prompt(question, variant))
    texts = _entry_texts(question)
    for letter, entry_id in zip(LETTERS, variant.order, strict=False):
        echo_wrapped(texts[entry_id], indent=f"  {letter}) ")


def right_answer(question: Question, variant: QuestionVariant) -> str:
    """The right answer, in the learner's lettering."""
    texts = _entry_texts(question)
    letter_of = {entry_id: LETTERS[i] for i, entry_id in enumerate(variant.order)}
    if isinstance(question, SingleChoice | MultipleChoice):
        right = [o.id for o in question.options if o.correct]
        shown = [f"{letter_of[i]}) {texts[i]}" for i in sorted(right, key=letter_of.__getitem__)]
        return ("The answer: " if len(shown) == 1 else "The answers: ") + "; ".join(shown)
    if isinstance(question, Ordering):
        return "The order: " + " ".join(letter_of[item.id] for item in question.items)
    if isinstance(question, TrueFalse):
        return f"The answer: {'true' if question.answer else 'false'}"
    if isinstance(question, Numeric):
        return f"The answer: {format_number(expected_value(question, variant.params))}"
    raise TypeError(f"no answer format for {type(question).__name__}")


def _chosen_feedback(
    question: Question, answer: AnswerValue, variant: QuestionVariant
) -> list[str]:
    if isinstance(question, TrueFalse):
        missed = answer is not question.answer
        return [question.wrong_feedback] if missed and question.wrong_feedback else []
    if not isinstance(question, SingleChoice | MultipleChoice):
        return []
    chosen = answer if isinstance(answer, list) else [answer]
    lines = []
    for letter, option_id in zip(LETTERS, variant.order, strict=False):
        option = question.option(option_id)
        if option_id in chosen and option is not None and option.feedback:
            lines.append(f"{letter}) {option.feedback}")
    return lines


def show_feedback(
    question: Question, answer: AnswerValue, variant: QuestionVariant, result: QuestionResult
) -> None:
    if result.correct:
        click.echo(style("✓ Right.", fg="green", bold=True) + f" (+{_points(result.score)})")
    elif result.score > 0:
        got = f"{format_number(result.score)}/{format_number(result.max_score)}"
        click.echo(style("◑ Partly right:", fg="yellow", bold=True) + f" {got} points.")
    else:
        click.echo(style("✗ Wrong.", fg="red", bold=True))
    for line in _chosen_feedback(question, answer, variant):
        echo_wrapped(line, indent="  ", hanging="     ")
    if not result.correct:
        echo_wrapped(right_answer(question, variant), indent="  ", hanging="    ")
    echo_wrapped(question.explanation, indent="  Why: ", hanging="  ", bold_indent=True)


# --- the session -------------------------------------------------------------------------


def _ask(question: Question, variant: QuestionVariant) -> AnswerValue:
    """Ask until the reply reads as an answer; click.Abort on end of input or Ctrl-C."""
    hint = _ask_hint(question, variant)
    while True:
        reply = click.prompt(
            style(hint, fg="cyan"), default="", show_default=False, prompt_suffix=": "
        )
        try:
            return parse_reply(question, variant, reply)
        except ReplyError as error:
            click.echo(style(str(error), fg="yellow"))


def run_session(quiz: Quiz, variant: QuizVariant) -> SessionOutcome:
    count = len(quiz.questions)
    click.echo(style(quiz.title, bold=True))
    if quiz.description:
        echo_wrapped(quiz.description)
    click.echo(
        f"{count} questions, {_points(quiz.max_score)}. "
        "Type your answer and press Enter; Ctrl-D or Ctrl-C stops."
    )
    results: list[QuestionResult] = []
    try:
        for number, question in enumerate(quiz.questions, start=1):
            question_variant = variant.of(question)
            show_question(question, question_variant, number, count)
            answer = _ask(question, question_variant)
            result = grade_question(question, answer, question_variant)
            results.append(result)
            show_feedback(question, answer, question_variant, result)
    except (click.Abort, KeyboardInterrupt, EOFError):
        outcome = total(quiz, variant.seed, results)
        click.echo()
        click.echo(style("Stopped", bold=True) + f" {_progress(results, count)}.")
        click.echo("This attempt is not recorded; run the quiz again to start over.")
        return SessionOutcome(outcome, finished=False)
    outcome = total(quiz, variant.seed, results)
    click.echo()
    percent = 100 * outcome.score / outcome.max_score if outcome.max_score else 100.0
    click.echo(
        style("Score: ", bold=True)
        + f"{format_number(outcome.score)} / {format_number(outcome.max_score)} ({percent:.0f}%)"
    )
    return SessionOutcome(outcome, finished=True)


def _progress(results: list[QuestionResult], count: int) -> str:
    if not results:
        return f"before the first of {count} questions"
    score = format_number(round(sum(r.score for r in results), 6))
    answered_max = sum(r.max_score for r in results)
    return (
        f"after {len(results)} of {count} questions, with {score} of {_points(answered_max)} so far"
    )
