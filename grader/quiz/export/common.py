"""What every export needs: a numeric question's key and accepted margin, numbers an LMS
parses, and the LMS weights of a multiple_choice question's options.

Numbers go out in fixed point (0.00000095367431640625, not 9.5367431640625e-07): Moodle's own
parser takes either, but other GIFT parsers and some QTI importers stop at the exponent.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from grader.quiz.grading import allowed_error
from grader.quiz.models import MultipleChoice, Numeric, Quiz
from grader.quiz.variants import QuizVariant, expected_value, format_number

SIGNIFICANT_DIGITS = 10  # of an answer; the grader's own slack is 1e-9 relative
MARGIN_DIGITS = 6  # of a tolerance
FIXED_POINT_PLACES = 20


def fixed_point(
    value: float, digits: int = SIGNIFICANT_DIGITS, rounding: str = ROUND_HALF_EVEN
) -> str:
    """`value` rounded to `digits` significant digits, without an exponent where that takes
    at most FIXED_POINT_PLACES decimals. A margin or a bound is rounded outward (ROUND_UP,
    ROUND_FLOOR, ROUND_CEILING), so that the LMS accepts at least what grading does."""
    exact = Decimal(repr(value))  # the shortest decimal that is this float: 0.1, not 0.1000...1
    if rounding != ROUND_HALF_EVEN:
        # Float noise (0.01 * 0.1 = 0.0010000000000000002, in the 16th and 17th digits) must
        # not round a bound outward; 15 digits drop it, and keep an answer such as
        # log(27) + 0.01 = 3.305836866004329 from rounding inward (12 would cut it to ...866).
        exact = Decimal(f"{exact:.15g}")
    if exact == 0:
        return "0"
    # The place of the last digit kept: 10**(adjusted - digits + 1).
    place = Decimal(1).scaleb(exact.adjusted() - digits + 1)
    rounded = exact.quantize(place, rounding=rounding)
    if not -FIXED_POINT_PLACES <= rounded.adjusted() < FIXED_POINT_PLACES:
        return f"{float(rounded):.{digits}g}"  # no fixed-point form a person could read
    text = format(rounded, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def counted(count: float, noun: str) -> str:
    """`1 question`, `2 questions`, `1.5 points`: the noun plural unless the count is 1."""
    return f"{format_number(count)} {noun}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class Names:
    """What an export calls its quiz. With a seed asked for (`--seed N`), the seed is in each
    name, so that variants handed to different groups import side by side as distinct
    quizzes, not as one quiz overwritten (Canvas, by the assessment's ident) or one question
    bank category mixing them (Moodle); a default export keeps the quiz's own names."""

    id: str  # a QTI ident, a package's folder and file names: the quiz id's characters
    title: str  # the quiz as an instructor sees it listed
    category: str  # a Moodle question-bank category, below bpgrade/

    @classmethod
    def of(cls, quiz: Quiz, variant: QuizVariant, seeded: bool) -> Names:
        if not seeded:
            return cls(quiz.id, quiz.title, quiz.id)
        seed = variant.seed
        return cls(
            f"{quiz.id}-seed-{seed}", f"{quiz.title} (seed {seed})", f"{quiz.id} (seed {seed})"
        )


@dataclass(frozen=True)
class NumericKey:
    """A numeric question's answer in one variant, with the margin grading accepts:
    `grading.allowed_error`, the larger of `tolerance` and `rtol` times the answer (grading
    adds a hair of float slack, 1e-9 relative, on top)."""

    expected: float
    margin: float


def numeric_key(question: Numeric, variant: QuizVariant) -> NumericKey:
    expected = expected_value(question, variant.of(question).params)
    return NumericKey(expected, allowed_error(expected, question.tolerance, question.rtol))


def option_weights(question: MultipleChoice) -> dict[str, float]:
    """Each option's share of the points, picked: +1/C for a correct option and -1/W for a
    wrong one, C and W the counts of correct and wrong options. Added and clamped to [0, 1]
    (Moodle's multiple-answer rule) they score every answer as grading's right_minus_wrong
    does (`grading.multiple_choice_fraction`)."""
    correct = question.correct_ids
    right_share = 1 / len(correct)
    wrong_share = 1 / (len(question.options) - len(correct))  # a question has a wrong option
    return {
        option.id: right_share if option.id in correct else -wrong_share
        for option in question.options
    }
