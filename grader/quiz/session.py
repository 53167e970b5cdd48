"""The interactive quiz: one question at a time in the terminal.

Options are lettered a, b, c... in the learner's variant order. A reply is parsed by
`parse_reply` into the same answer values an answers file holds, and graded by the same
rules. After each answer the learner reads right or wrong, the feedback of the options they
chose (for a numeric answer: the known mistake it matches, or how far off it is), the right
answer when they missed it, and the explanation. The end is the score and, for every question
not fully right, the question, the learner's answer, the right one and why.

Every answer is handed to `save` as soon as it is read (`grader.quiz.attempt` writes it
beside the progress file), so end of input (Ctrl-D) or Ctrl-C stops the quiz with nothing
lost: the caller offers to resume it next time. A resumed attempt starts at the first
question not yet answered and ends with the same summary as one taken in one go.

Text is wrapped to the terminal (`grader.quiz.wrap`): never inside a word or a formula.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import signal
import string
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

import click

from grader.quiz.answers import AnswerValue
from grader.quiz.attempt import Attempt
from grader.quiz.expression import ExpressionError, evaluate, parse_expression
from grader.quiz.grading import (
    QuestionResult,
    QuizResult,
    allowed_error,
    answer_key,
    as_number,
    grade_question,
    known_mistake,
    numeric_answer,
    total,
)
from grader.quiz.models import (
    SCORING_NOTE,
    MultipleChoice,
    Numeric,
    Ordering,
    Question,
    Quiz,
    SingleChoice,
    TrueFalse,
)
from grader.quiz.variants import QuestionVariant, QuizVariant, format_number, render_prompt
from grader.quiz.wrap import wrap

LETTERS = string.ascii_lowercase
_TRUE = ("t", "true", "y", "yes")
_FALSE = ("f", "false", "n", "no")


class ReplyError(ValueError):
    """A reply that cannot be read as an answer; the message says what to type."""


@dataclass(frozen=True)
class SessionOutcome:
    result: QuizResult  # the questions answered so far
    finished: bool
    saved: bool = True  # every answer given is in the saved attempt


# --- output ------------------------------------------------------------------------------


def style(text: str, **styles: object) -> str:
    # click drops colour when stdout is not a terminal; NO_COLOR (no-color.org) drops it always.
    if os.environ.get("NO_COLOR"):
        return text
    return click.style(text, **styles)  # type: ignore[arg-type]


def _width() -> int:
    return max(40, min(shutil.get_terminal_size((80, 24)).columns, 100))


def echo_wrapped(
    text: str,
    indent: str = "",
    hanging: str | None = None,
    bold_indent: bool = False,
    err: bool = False,
) -> None:
    """Print `text` wrapped to the terminal between words and formulas, keeping its own
    newlines; continuation lines are indented by `hanging` (by default as deep as `indent`).
    `err` prints to standard error."""
    lines = wrap(text, _width(), indent, hanging)
    if bold_indent and indent.strip() and lines[0].startswith(indent):
        lines[0] = style(indent, bold=True) + lines[0][len(indent) :]
    click.echo("\n".join(lines), err=err)


def counted(count: float, noun: str) -> str:
    """`1 question`, `2 questions`, `1.5 points`: the noun plural unless the count is 1."""
    return f"{format_number(count)} {noun}{'' if count == 1 else 's'}"


def _points(value: float) -> str:
    return counted(value, "point")


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


# --- showing questions -------------------------------------------------------------------


def _entry_texts(question: Question) -> dict[str, str]:
    if isinstance(question, SingleChoice | MultipleChoice):
        return {option.id: option.text for option in question.options}
    if isinstance(question, Ordering):
        return {item.id: item.text for item in question.items}
    return {}


def show_question(
    question: Question, variant: QuestionVariant, number: int, count: int, *, show_rule: bool
) -> None:
    """The question, its options lettered in the variant's order and, with `show_rule`, the
    multiple_choice scoring rule (SCORING_NOTE)."""
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
    if show_rule and isinstance(question, MultipleChoice):
        click.echo(style("\n".join(wrap(SCORING_NOTE, _width())), dim=True))


def _letter_of(variant: QuestionVariant) -> dict[str, str]:
    return {entry_id: LETTERS[i] for i, entry_id in enumerate(variant.order)}


def right_answer(question: Question, variant: QuestionVariant) -> str:
    """The right answer, in the learner's lettering."""
    texts = _entry_texts(question)
    letter_of = _letter_of(variant)
    if isinstance(question, SingleChoice | MultipleChoice):
        right = [o.id for o in question.options if o.correct]
        shown = [f"{letter_of[i]}) {texts[i]}" for i in sorted(right, key=letter_of.__getitem__)]
        return ("The answer: " if len(shown) == 1 else "The answers: ") + "; ".join(shown)
    if isinstance(question, Ordering):
        return "The order: " + " ".join(letter_of[item.id] for item in question.items)
    if isinstance(question, TrueFalse):
        return f"The answer: {'true' if question.answer else 'false'}"
    if isinstance(question, Numeric):
        return f"The answer: {format_number(numeric_answer(question, variant.params))}"
    raise TypeError(f"no answer format for {type(question).__name__}")


def given_answer(question: Question, answer: AnswerValue | None, variant: QuestionVariant) -> str:
    """What the learner answered, as they typed it: letters, a number, true or false."""
    if answer is None:
        return "(no answer)"
    letter_of = _letter_of(variant)
    texts = _entry_texts(question)
    if isinstance(question, SingleChoice) and isinstance(answer, str) and answer in letter_of:
        return f"{letter_of[answer]}) {texts[answer]}"
    if isinstance(question, MultipleChoice | Ordering) and isinstance(answer, list):
        letters = [letter_of.get(entry_id, "?") for entry_id in answer]
        if isinstance(question, MultipleChoice):
            letters.sort()
        return " ".join(letters) or "(none)"
    if isinstance(question, TrueFalse) and isinstance(answer, bool):
        return "true" if answer else "false"
    if isinstance(question, Numeric) and (number := as_number(answer)) is not None:
        return format_number(number)
    return str(answer)


# --- feedback ----------------------------------------------------------------------------


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


def numeric_feedback(question: Numeric, answer: AnswerValue, variant: QuestionVariant) -> str:
    """Why a numeric answer is wrong: the known mistake it matches, else how far off it is."""
    given = as_number(answer)
    if given is None:
        return "That is not a number."
    mistake = known_mistake(question, given, variant.params)
    if mistake is not None:
        return mistake.feedback
    expected = numeric_answer(question, variant.params)
    allowed = allowed_error(expected, question.tolerance, question.rtol)
    if allowed == 0:
        return f"{format_number(given)} is not the exact answer."
    return (
        f"{format_number(given)} is not within the tolerance (±{format_number(allowed)}) "
        "of the answer."
    )


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
    if isinstance(question, Numeric) and not result.correct:
        echo_wrapped(numeric_feedback(question, answer, variant), indent="  ")
    if not result.correct:
        echo_wrapped(right_answer(question, variant), indent="  ", hanging="    ")
    echo_wrapped(question.explanation, indent="  Why: ", hanging="  ", bold_indent=True)


# --- the end -----------------------------------------------------------------------------


def score_line(result: QuizResult) -> str:
    percent = 100 * result.score / result.max_score if result.max_score else 100.0
    return (
        style("Score: ", bold=True)
        + f"{format_number(result.score)} / {format_number(result.max_score)} ({percent:.0f}%)"
    )


def show_summary(quiz: Quiz, variant: QuizVariant, attempt: Attempt, result: QuizResult) -> None:
    """The score, then every question not fully right: the question, the learner's answer,
    the right one and why, so that the end of a quiz is a list of what to review."""
    click.echo()
    click.echo(score_line(result))
    scored = {question.id: question for question in result.questions}
    missed = [
        (number, question)
        for number, question in enumerate(quiz.questions, start=1)
        if question.id not in scored or not scored[question.id].correct
    ]
    count = len(quiz.questions)
    if not missed:
        click.echo("The one question right." if count == 1 else f"All {count} questions right.")
        return
    right = count - len(missed)
    click.echo(f"{right} of {counted(count, 'question')} right. To review:")
    for number, question in missed:
        question_variant = variant.of(question)
        got = scored[question.id].score if question.id in scored else 0.0
        click.echo()
        heading = f"Question {number} ({format_number(got)} of {_points(question.points)})"
        click.echo(style(heading, bold=True))
        echo_wrapped(render_prompt(question, question_variant), indent="  ")
        answer = attempt.answers.get(question.id)
        shown = given_answer(question, answer, question_variant)
        echo_wrapped(f"You answered: {shown}", indent="  ", hanging="    ")
        if isinstance(question, Ordering) and isinstance(answer, list):
            _echo_steps(question, answer, question_variant)
        if isinstance(question, Numeric) and answer is not None:
            echo_wrapped(numeric_feedback(question, answer, question_variant), indent="  ")
        echo_wrapped(right_answer(question, question_variant), indent="  ", hanging="    ")
        if isinstance(question, Ordering):
            _echo_steps(question, [item.id for item in question.items], question_variant)
        echo_wrapped(question.explanation, indent="  Why: ", hanging="  ", bold_indent=True)


def _echo_steps(question: Ordering, order: list[str], variant: QuestionVariant) -> None:
    """An order of steps spelt out, one step a line: `b) loss.backward()`. The review comes
    long after the question, whose letters are no longer on screen to read an order by."""
    texts = _entry_texts(question)
    letter_of = _letter_of(variant)
    for step in order:
        if step in texts:
            echo_wrapped(texts[step], indent=f"    {letter_of[step]}) ")


# --- the session -------------------------------------------------------------------------


def _terminal_input() -> int | None:
    """The descriptor of standard input when it is a terminal read by the main thread."""
    try:
        fd = sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):
        return None  # replaced by a test runner's stream
    if not os.isatty(fd) or threading.current_thread() is not threading.main_thread():
        return None
    return fd


def read_line(prompt: str) -> str:
    """A line typed at `prompt`; KeyboardInterrupt on Ctrl-C, EOFError on Ctrl-D.

    On a terminal, Ctrl-C must stop the wait at once. input() (and so click.prompt) sleeps in
    read(), which a SIGINT interrupts only when the kernel hands it to the main thread; a
    library's thread (numpy's OpenBLAS starts one on import) may take it instead, and then
    nothing happens until Enter. So the wait is a select() on the terminal and on a wakeup
    pipe that the signal handler writes to, whichever thread runs it."""
    fd = _terminal_input()
    if fd is None:
        return str(click.prompt(prompt, default="", show_default=False, prompt_suffix=""))
    click.echo(prompt, nl=False)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    previous = signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
    try:
        while fd not in select.select([fd, wake_read], [], [])[0]:
            # A signal: its Python handler (KeyboardInterrupt for SIGINT) runs right here.
            os.read(wake_read, 512)
    finally:
        signal.set_wakeup_fd(previous)
        os.close(wake_read)
        os.close(wake_write)
    # In canonical mode a read() returns at most one line, so nothing typed ahead is held
    # in sys.stdin's buffer where select() would not see it.
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\r\n")


def confirm(question: str, default: bool = True) -> bool:
    """A yes/no question, asked again until answered; Enter takes `default`."""
    choices = "[Y/n]" if default else "[y/N]"
    while True:
        reply = read_line(f"{question} {choices}: ").strip().lower()
        if not reply:
            return default
        if reply in ("y", "yes", "n", "no"):
            return reply.startswith("y")
        click.echo("Type y or n.")


def _ask(question: Question, variant: QuestionVariant) -> AnswerValue:
    """Ask until the reply reads as an answer; KeyboardInterrupt, EOFError or click.Abort
    when the learner stops (Ctrl-C, Ctrl-D)."""
    hint = _ask_hint(question, variant)
    while True:
        reply = read_line(style(hint, fg="cyan") + ": ")
        try:
            return parse_reply(question, variant, reply)
        except ReplyError as error:
            click.echo(style(str(error), fg="yellow"))


def graded_so_far(quiz: Quiz, variant: QuizVariant, attempt: Attempt) -> QuizResult:
    """The attempt's answers graded, in quiz order; questions not answered are left out."""
    results = [
        grade_question(question, attempt.answers[question.id], variant.of(question))
        for question in quiz.questions
        if question.id in attempt.answers
    ]
    return total(quiz, variant.seed, results)


def _intro(quiz: Quiz, attempt: Attempt, variant: QuizVariant, keeps: bool) -> None:
    count = len(quiz.questions)
    click.echo(style(quiz.title, bold=True))
    if quiz.description:
        echo_wrapped(quiz.description)
    kept = "; your answers are kept" if keeps else ""
    echo_wrapped(
        f"{counted(count, 'question')}, {_points(quiz.max_score)}. Type your answer and press "
        "Enter. "
        f"Ctrl-C or Ctrl-D stops{kept}."
    )
    if attempt.answers:
        so_far = graded_so_far(quiz, variant, attempt)
        echo_wrapped(style("Resumed ", bold=True) + _progress(so_far, count) + ".")


def run_session(
    quiz: Quiz,
    variant: QuizVariant,
    attempt: Attempt | None = None,
    save: Callable[[Attempt], bool] | None = None,
) -> SessionOutcome:
    """Ask every question `attempt` has no answer for, handing the attempt to `save` after
    each answer; then show the summary. A stop returns what was answered, unfinished.

    The variant's answers are computed first (`grading.answer_key`): a quiz file that gives a
    question no answer in it raises VariantError before anything is shown."""
    from grader.quiz.attempt import start_attempt

    answer_key(quiz, variant)
    attempt = attempt if attempt is not None else start_attempt(quiz, variant.seed)
    count = len(quiz.questions)
    _intro(quiz, attempt, variant, save is not None)
    saved = len(attempt.answers)  # answers known to be on disk
    try:
        for number, question in enumerate(quiz.questions, start=1):
            if question.id in attempt.answers:
                continue
            question_variant = variant.of(question)
            show_question(question, question_variant, number, count, show_rule=True)
            answer = _ask(question, question_variant)
            attempt.answers[question.id] = answer
            if save is not None and save(attempt):
                saved = len(attempt.answers)
            result = grade_question(question, answer, question_variant)
            show_feedback(question, answer, question_variant, result)
    except (click.Abort, KeyboardInterrupt, EOFError):
        if save is not None and saved < len(attempt.answers):
            # stopped while the last answer was being saved: save it again
            saved = len(attempt.answers) if save(attempt) else saved
        outcome = graded_so_far(quiz, variant, attempt)
        click.echo()
        click.echo(style("Stopped", bold=True) + f" {_progress(outcome, count)}.")
        return SessionOutcome(outcome, finished=False, saved=saved == len(attempt.answers))
    outcome = graded_so_far(quiz, variant, attempt)
    show_summary(quiz, variant, attempt, outcome)
    return SessionOutcome(outcome, finished=True)


def _progress(so_far: QuizResult, count: int) -> str:
    """Where an attempt stands; its score is the one `total` computed for `so_far`."""
    answered = so_far.questions
    if not answered:
        return f"before the first of {counted(count, 'question')}"
    answered_max = sum(r.max_score for r in answered)
    return (
        f"after {len(answered)} of {counted(count, 'question')}, "
        f"with {format_number(so_far.score)} of {_points(answered_max)} so far"
    )
