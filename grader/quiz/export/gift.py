"""Moodle GIFT: one question per block, blocks separated by a blank line.

    ::id::[markdown]prompt{ =right#feedback ~wrong#feedback ####explanation }

single_choice is Moodle's multichoice with one `=` answer; multiple_choice is multichoice
with weighted `~%w%` answers (right +100/n, wrong -100/n for n correct options; Moodle
floors the total at 0, which is net_correct; the other two rules have no GIFT equivalent and
go out the same way, noted in a comment); true_false is `{TRUE}` or `{FALSE}`; numeric is
`{#answer:tolerance}`; ordering becomes a matching question pairing each item with its place.
GIFT has no points; each block's comment gives them.
"""

from __future__ import annotations

from grader.quiz.models import (
    MultipleChoice,
    Numeric,
    Option,
    Ordering,
    Question,
    Quiz,
    SingleChoice,
    TrueFalse,
)
from grader.quiz.variants import QuizVariant, expected_value, format_number, render_prompt

_SPECIAL = "\\~=#{}:"


def escape(text: str) -> str:
    """GIFT text: the special characters backslash-escaped, newlines as \\n."""
    for char in _SPECIAL:
        text = text.replace(char, "\\" + char)
    return text.replace("\n", "\\n")


def _weight(fraction: float) -> str:
    # Moodle accepts the grades 100/n (n up to 10), written with 5 decimals at most.
    return f"{100 * fraction:.5f}".rstrip("0").rstrip(".")


def _option(mark: str, option: Option) -> str:
    feedback = f"#{escape(option.feedback)}" if option.feedback else ""
    return f"\t{mark}{escape(option.text)}{feedback}"


def _answers(question: Question, variant: QuizVariant) -> list[str]:
    if isinstance(question, SingleChoice):
        return [_option("=" if o.correct else "~", o) for o in question.options]
    if isinstance(question, MultipleChoice):
        share = 1 / len(question.correct_ids)
        right, wrong = f"~%{_weight(share)}%", f"~%-{_weight(share)}%"
        return [_option(right if o.correct else wrong, o) for o in question.options]
    if isinstance(question, TrueFalse):
        wrong = f"#{escape(question.wrong_feedback)}" if question.wrong_feedback else ""
        return [f"\t{'TRUE' if question.answer else 'FALSE'}{wrong}"]
    if isinstance(question, Numeric):
        expected = expected_value(question, variant.of(question).params)
        allowed = max(question.tolerance or 0.0, (question.rtol or 0.0) * abs(expected))
        margin = f":{allowed:.6g}" if allowed else ""
        return [f"\t#{expected:.10g}{margin}"]
    if isinstance(question, Ordering):
        # Matching: each item (shown shuffled by Moodle) is paired with its place.
        return [
            f"\t={escape(item.text).replace('->', '→')} -> {place}"
            for place, item in enumerate(question.items, start=1)
        ]
    raise TypeError(f"no GIFT form for {type(question).__name__}")


def _note(question: Question) -> str:
    note = f"// {question.id}: {question.type}, {format_number(question.points)} point(s)"
    if isinstance(question, MultipleChoice) and question.scoring != "net_correct":
        note += f"; scored {question.scoring} in bpgrade, net_correct in Moodle"
    if isinstance(question, Numeric) and question.params:
        note += "; one variant of a parameterized question"
    if isinstance(question, Ordering):
        note += "; an ordering question, as matching items to places"
    return note


def question_block(question: Question, variant: QuizVariant) -> str:
    prompt = render_prompt(question, variant.of(question))
    lines = [
        _note(question),
        f"::{escape(question.id)}::[markdown]{escape(prompt)}{{",
        *_answers(question, variant),
        f"\t####{escape(question.explanation)}",
        "}",
    ]
    return "\n".join(lines)


def export(quiz: Quiz, variant: QuizVariant) -> str:
    title = f"// {quiz.title} ({quiz.id}), exported by bpgrade with seed {variant.seed}"
    blocks = [title, f"$CATEGORY: bpgrade/{quiz.id}"]
    blocks += [question_block(question, variant) for question in quiz.questions]
    return "\n\n".join(blocks) + "\n"
