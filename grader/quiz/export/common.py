"""What every export needs: a question's accepted margin, numbers an LMS parses, and the LMS
weights of a multiple_choice question's options.

Numbers go out in fixed point (0.00000095367431640625, not 9.5367431640625e-07): Moodle's own
parser takes either, but other GIFT parsers and some QTI importers stop at the exponent.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from grader.quiz.grading import allowed_error, fraction_right
from grader.quiz.models import MultipleChoice, Numeric
from grader.quiz.variants import QuestionVariant, QuizVariant, expected_value

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
        # Float noise (0.01 * 0.1 = 0.0010000000000000002) must not round a bound outward;
        # 12 digits stay far inside grading's own slack of 1e-9.
        exact = Decimal(f"{exact:.12g}")
    if exact == 0:
        return "0"
    # The place of the last digit kept: 10**(adjusted - digits + 1).
    place = Decimal(1).scaleb(exact.adjusted() - digits + 1)
    rounded = exact.quantize(place, rounding=rounding)
    if not -FIXED_POINT_PLACES <= rounded.adjusted() < FIXED_POINT_PLACES:
        return f"{float(rounded):.{digits}g}"  # no fixed-point form a person could read
    text = format(rounded, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def margin(question: Numeric, expected: float) -> float:
    """How far from `expected` grading accepts an answer: the larger of `tolerance` and
    `rtol` times the answer (grading adds a hair of float slack, 1e-9 relative, on top)."""
    return allowed_error(expected, question.tolerance, question.rtol)


@dataclass(frozen=True)
class NumericKey:
    """A numeric question's answer in one variant, with the margin grading accepts."""

    expected: float
    margin: float


def numeric_key(question: Numeric, variant: QuizVariant) -> NumericKey:
    expected = expected_value(question, variant.of(question).params)
    return NumericKey(expected, margin(question, expected))


@dataclass(frozen=True)
class OptionWeights:
    """Each option's share of the points, picked: an LMS that adds the shares of the picked
    options and clamps the sum to [0, 1] (Moodle's multiple-answer rule) scores exactly as
    bpgrade does when `exact` holds."""

    weights: dict[str, float]
    exact: bool


_PROBED_OPTIONS = 12  # 2**12 answers checked at most; more options are checked on samples


def option_weights(question: MultipleChoice) -> OptionWeights:
    """The weights read off bpgrade's own grading, then checked against it on every answer.

    A correct option's weight is what picking it alone earns; a wrong option's is what adding
    it to the exact answer takes away. Reading them from grading keeps the export in step with
    the rule, whatever it is; `exact` says whether adding clamped weights reproduces it."""
    ids = [option.id for option in question.options]
    correct = question.correct_ids
    blank = QuestionVariant(order=tuple(ids))

    def earned(picks: tuple[str, ...]) -> float:
        return fraction_right(question, list(picks), blank)

    exact_answer = tuple(i for i in ids if i in correct)
    weights = {
        option_id: earned((option_id,))
        if option_id in correct
        else earned((*exact_answer, option_id)) - 1.0
        for option_id in ids
    }
    answers: Iterable[tuple[str, ...]]
    if len(ids) <= _PROBED_OPTIONS:
        answers = itertools.chain.from_iterable(
            itertools.combinations(ids, size) for size in range(len(ids) + 1)
        )
    else:
        answers = (tuple(ids[: n + 1]) for n in range(len(ids)))
    exact = all(
        abs(earned(picks) - min(1.0, max(0.0, sum(weights[i] for i in picks)))) < 1e-9
        for picks in answers
    )
    return OptionWeights(weights, exact)
