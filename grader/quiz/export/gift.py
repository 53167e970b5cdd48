"""Moodle GIFT: one question per block, blocks separated by a blank line.

    // [tag:bpgrade] [tag:points-2]
    ::id::[plain]prompt{ =right#feedback ~wrong#feedback ####explanation }

What Moodle's importer (qformat_gift) does with this, and why it is written so:

- Every text is `[plain]`: Moodle shows it exactly as written, with no Markdown (`w1*x1 +
  w2*x2` keeps its stars) and no filters (a TeX filter would eat `$$...$$` or `\\(...\\)`).
  Options and feedback inherit the question's format; an option that starts with `%` or `[`
  repeats the tag, so that `%10% of the weights` is text, not a 10 % weight.
- Every special character (`~ = # { } :` and the backslash) is backslash-escaped and a
  newline is written `\\n`, so a block stays one question on consecutive lines.
- Options go out in the variant's order (the options shuffled per variant unless the quiz
  says not), ordering items too: Moodle lists them in file order unless the question's
  shuffle setting is on.
- single_choice is multichoice with one `=` answer. multiple_choice is multichoice with a
  weight on every option (`common.option_weights`), bpgrade's right_minus_wrong rule:
  +100/C % per correct option and -100/W % per wrong one, which Moodle adds and clamps to
  [0, 100 %], so Moodle scores every answer as bpgrade does. A weight must be one of
  Moodle's grades (100/n for n up to 10 and a few more); a question whose counts Moodle
  cannot express says so in its comment.
- numeric is `{#answer:margin}` with the margin grading accepts, both in fixed point; each
  known mistake is a further 0 % answer carrying its feedback, after the right one (Moodle
  takes the first answer that matches).
- true_false is `{TRUE#feedback for a wrong answer}`.
- ordering is a matching question, each item to its place; Moodle gives a share of the
  points for each item in its place, where bpgrade's ordering is all or nothing.

GIFT has no marks: Moodle gives every imported question a default mark of 1. The points go
in three places an instructor sees: the header lists the questions worth other than 1 point,
each question sits in a category named after its points (`bpgrade/<quiz>/2 points`) when the
quiz mixes points, and each carries the tag `points-N` (Moodle 3.6 and later read
`[tag:...]` from a question's comment).
"""

from __future__ import annotations

from decimal import ROUND_UP

from grader.quiz.export.common import (
    MARGIN_DIGITS,
    Names,
    counted,
    fixed_point,
    numeric_key,
    option_weights,
)
from grader.quiz.expression import ExpressionError, evaluate
from grader.quiz.grading import allowed_error
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
from grader.quiz.variants import QuizVariant, format_number, render_prompt

_SPECIAL = "\\~=#{}:"

# question_bank::fraction_options_full(): the only grades Moodle's import accepts (it refuses
# the file when one is off by more than 1e-5).
_MOODLE_FRACTIONS = (
    1.0,
    0.9,
    0.8333333,
    0.8,
    0.75,
    0.7,
    0.6666667,
    0.6,
    0.5,
    0.4,
    0.3333333,
    0.3,
    0.25,
    0.2,
    0.1666667,
    0.1428571,
    0.125,
    0.1111111,
    0.1,
    0.05,
    0.0,
)
MOODLE_FRACTIONS = tuple(sorted({*_MOODLE_FRACTIONS, *(-f for f in _MOODLE_FRACTIONS)}))
_GRADE_MATCH = 1e-5


def escape(text: str) -> str:
    """GIFT text: the special characters backslash-escaped, newlines as \\n."""
    for char in _SPECIAL:
        text = text.replace(char, "\\" + char)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def _text(text: str) -> str:
    """An option, a feedback or an explanation: escaped, and tagged [plain] again where the
    first character would otherwise be read as a weight (%) or a format tag ([)."""
    escaped = escape(text)
    return f"[plain]{escaped}" if escaped[:1] in ("%", "[") else escaped


def moodle_fraction(weight: float) -> float | None:
    """The Moodle grade within 1e-5 of `weight`, as its import matches them; None if none."""
    return next((f for f in MOODLE_FRACTIONS if abs(f - weight) < _GRADE_MATCH), None)


def _percent(fraction: float) -> str:
    # 5 decimals as Moodle writes them; the import reads them back within its 1e-5.
    return fixed_point(round(100 * fraction, 5), digits=8)


def _feedback(text: str | None) -> str:
    return f"#{_text(text)}" if text else ""


def _option(mark: str, option: Option) -> str:
    return f"\t{mark}{_text(option.text)}{_feedback(option.feedback)}"


def _ordered_options(question: SingleChoice | MultipleChoice, variant: QuizVariant) -> list[Option]:
    by_id = {option.id: option for option in question.options}
    return [by_id[option_id] for option_id in variant.of(question).order]


def _weighted_options(question: MultipleChoice, variant: QuizVariant) -> tuple[list[str], bool]:
    """The option lines, and whether Moodle will score them as bpgrade does."""
    weights = option_weights(question)
    lines, exact = [], True
    for option in _ordered_options(question, variant):
        weight = weights[option.id]
        fraction = moodle_fraction(weight)
        if fraction is None:
            # No Moodle grade this close: the nearest one, and the comment says so.
            fraction = min(MOODLE_FRACTIONS, key=lambda f: abs(f - weight))
            exact = False
        lines.append(_option(f"~%{_percent(fraction)}%", option))
    return lines, exact


def _mistakes(question: Numeric, variant: QuizVariant) -> list[str]:
    params = variant.of(question).params
    lines = []
    for mistake in question.mistakes:
        try:
            wrong = evaluate(mistake.parsed, params)
        except ExpressionError:
            continue  # no value in this variant: nobody can give it
        error = allowed_error(wrong, question.tolerance, question.rtol)
        allowed = fixed_point(error, MARGIN_DIGITS, rounding=ROUND_UP)
        lines.append(f"\t=%0%{fixed_point(wrong)}:{allowed}{_feedback(mistake.feedback)}")
    return lines


def _answers(question: Question, variant: QuizVariant) -> tuple[list[str], bool]:
    """The answer lines, and whether Moodle scores them exactly as bpgrade does."""
    if isinstance(question, SingleChoice):
        options = _ordered_options(question, variant)
        return [_option("=" if option.correct else "~", option) for option in options], True
    if isinstance(question, MultipleChoice):
        return _weighted_options(question, variant)
    if isinstance(question, TrueFalse):
        truth = "TRUE" if question.answer else "FALSE"
        return [f"\t{truth}{_feedback(question.wrong_feedback)}"], True
    if isinstance(question, Numeric):
        key = numeric_key(question, variant)
        allowed = fixed_point(key.margin, MARGIN_DIGITS, rounding=ROUND_UP)
        right = f"\t={fixed_point(key.expected)}:{allowed}"
        return [right, *_mistakes(question, variant)], True
    if isinstance(question, Ordering):
        # Moodle splits a pair at its first '->', so an item's own arrow becomes '→'.
        place = {item.id: n for n, item in enumerate(question.items, start=1)}
        by_id = {item.id: item for item in question.items}
        lines = [
            f"\t={_text(by_id[item_id].text.replace('->', '→'))} -> {place[item_id]}"
            for item_id in variant.of(question).order
        ]
        return lines, False
    raise TypeError(f"no GIFT form for {type(question).__name__}")


def _points(value: float) -> str:
    return counted(value, "point")


def _notes(question: Question, exact: bool) -> list[str]:
    note = f"// {question.id}: {question.type}, {_points(question.points)}"
    if isinstance(question, MultipleChoice) and not exact:
        note += f"; Moodle cannot weigh options as bpgrade's {question.scoring} rule does"
    if isinstance(question, Numeric) and question.params:
        note += "; one variant of a parameterized question"
    if isinstance(question, Ordering):
        note += "; an ordering question, as matching each item to its place (Moodle gives"
        note += " partial credit, bpgrade all or nothing)"
    tags = f"// [tag:bpgrade] [tag:points-{format_number(question.points)}]"
    return [tags, note]


def question_block(question: Question, variant: QuizVariant) -> str:
    prompt = render_prompt(question, variant.of(question))
    answers, exact = _answers(question, variant)
    # Moodle reads a numeric question from the '#' that opens its answers.
    opening = "{#" if isinstance(question, Numeric) else "{"
    lines = [
        *_notes(question, exact),
        f"::{escape(question.id)}::[plain]{escape(prompt)}{opening}",
        *answers,
        f"\t####{_text(question.explanation)}",
        "}",
    ]
    return "\n".join(lines)


def category(names: Names, points: float | None) -> str:
    """The question-bank category a question goes to: one per quiz (and seed, when one was
    asked for), split by points when the quiz mixes them, so that the category's name says
    what mark to give."""
    base = f"bpgrade/{names.category}"
    return f"$CATEGORY: {base}" if points is None else f"$CATEGORY: {base}/{_points(points)}"


def _header(quiz: Quiz, variant: QuizVariant) -> str:
    lines = [
        f"// {quiz.title} ({quiz.id}), exported by bpgrade with seed {variant.seed}:"
        f" {counted(len(quiz.questions), 'question')}, {_points(quiz.max_score)}.",
        "// Import in Moodle: Question bank > Import > GIFT. Texts are [plain], shown as written.",
        "// GIFT has no marks and Moodle gives every question a mark of 1: on the quiz's Edit"
        " page, set",
    ]
    others = [q for q in quiz.questions if q.points != 1]
    if others:
        lines.append(
            "// the maximum mark of "
            + ", ".join(f"{q.id} to {format_number(q.points)}" for q in others)
            + f", for a total of {format_number(quiz.max_score)}."
        )
    else:
        lines.append("// nothing: every question is worth 1 point here.")
    return "\n".join(lines)


def export(quiz: Quiz, variant: QuizVariant, seeded: bool = False) -> str:
    """The GIFT text; `seeded` puts the seed in the quiz's category (`common.Names`)."""
    names = Names.of(quiz, variant, seeded)
    mixed = len({question.points for question in quiz.questions}) > 1
    blocks = [_header(quiz, variant)]
    current: str | None = None
    for question in quiz.questions:
        wanted = category(names, question.points if mixed else None)
        if wanted != current:
            blocks.append(wanted)
            current = wanted
        blocks.append(question_block(question, variant))
    return "\n\n".join(blocks) + "\n"
