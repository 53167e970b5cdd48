"""Grading: one answer to one question, scored by the rules of issues 3 and 11.

- single_choice: the correct option's id earns the points.
- multiple_choice, one rule (right_minus_wrong, told to the learner by `SCORING_NOTE`): each
  correct option picked earns 1/C of the points and each wrong option picked costs 1/W, where
  C and W count the correct and the wrong options; the total is floored at 0. An empty
  answer scores 0, and so does picking every option (C/C - W/W), whatever the counts: unlike
  net_correct (Canvas's rule, which pays for every box when wrong options are fewer than
  right ones) or each_answer (which pays for an empty answer), guessing wide earns nothing.
  It is Moodle's rule for a multiple-answer question with weights +100/C % and -100/W %.
- true_false: the right truth value.
- numeric: within `tolerance` (absolute) or `rtol` (relative to the right answer); given
  both, within either. A parameterized answer is computed from the variant's params.
- ordering: the item ids in exactly the right order.

An answer of the wrong shape (a list for a single_choice, an option the question does not
have, text for a number) scores 0, like a wrong one; a missing answer scores 0. (An answers
file that names an option or step a question does not have is refused before it is graded,
in a sentence: `grader.quiz.answers`.)

A numeric question's answer is computed from the variant's params when the variant is drawn
(`drawn`, `answer_key`), before any question is shown or answer graded: a quiz file whose
answer has no value in some variant (a log of a negative number, a division by zero) is then
refused with `VariantError`, which names the question and its params, never graded half way
or shown as a traceback. `bpgrade quiz validate` finds every such variant ahead of time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from pydantic import BaseModel

from grader.quiz.answers import AnswerValue
from grader.quiz.expression import ExpressionError, evaluate
from grader.quiz.models import (
    Mistake,
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
    draw,
    expected_value,
    format_number,
)

_DIGITS = 6  # scores are rounded, so that thirds add up to what a person expects
# A hair of slack, relative to the answer (at least 1), on top of the allowed error: so that
# a bound written in decimal (0.25 +- 0.001 accepts 0.251) survives binary floating point.
SLACK = 1e-9


class VariantError(ValueError):
    """A numeric question with no answer in a variant: a mistake in the quiz file (the
    author's, never the learner's). Its text names the question, the variant when known and
    the params, and what could not be computed."""

    def __init__(
        self, question: str, params: Mapping[str, float], why: str, seed: int | None = None
    ) -> None:
        self.question, self.params, self.why, self.seed = question, dict(params), why, seed
        variant = "" if seed is None else f" in variant {seed}"
        at = ", ".join(f"{name} = {format_number(value)}" for name, value in params.items())
        super().__init__(
            f'question "{question}" has no answer{variant}{f" ({at})" if at else ""}: {why}'
        )

    def in_variant(self, seed: int) -> VariantError:
        return VariantError(self.question, self.params, self.why, seed)


class QuestionResult(BaseModel):
    id: str
    score: float
    max_score: float
    correct: bool
    params: dict[str, float] = {}


class QuizResult(BaseModel):
    """What `bpgrade quiz NAME --answers FILE --json` prints."""

    quiz: str
    seed: int
    score: float
    max_score: float
    questions: list[QuestionResult]


def multiple_choice_fraction(option_ids: list[str], correct: set[str], picks: set[str]) -> float:
    """right_minus_wrong, the one rule: right/C - wrong/W, floored at 0. A multiple_choice
    question has a correct and a wrong option (models.MultipleChoice), so C, W > 0; the exact
    answer earns exactly 1.0 (C/C - 0/W)."""
    right, wrong = len(picks & correct), len(picks - correct)
    wrong_options = len(set(option_ids) - correct)
    return max(0.0, right / len(correct) - wrong / wrong_options)


def allowed_error(expected: float, tolerance: float | None, rtol: float | None) -> float:
    """How far from `expected` an answer may be: the larger of the two tolerances."""
    return max(tolerance or 0.0, (rtol or 0.0) * abs(expected))


def within_tolerance(
    given: float, expected: float, tolerance: float | None, rtol: float | None
) -> bool:
    # With no tolerance this is an exact match, give or take SLACK.
    slack = SLACK * max(1.0, abs(expected))
    return abs(given - expected) <= allowed_error(expected, tolerance, rtol) + slack


def numeric_answer(question: Numeric, params: Mapping[str, float]) -> float:
    """The right answer of a numeric question for these params; VariantError where it has no
    finite value."""
    try:
        value = expected_value(question, dict(params))
    except ExpressionError as error:
        raise VariantError(question.id, params, str(error)) from None
    if not math.isfinite(value):
        raise VariantError(question.id, params, "the answer has no finite value")
    return value


def mistake_values(question: Numeric, params: Mapping[str, float]) -> list[float | None]:
    """Each known mistake's value for these params; None where it has no finite value (no
    learner can give it, so it matches nothing: `bpgrade quiz validate` allows that too)."""
    values: list[float | None] = []
    for mistake in question.mistakes:
        try:
            wrong = evaluate(mistake.parsed, dict(params))
        except ExpressionError:
            wrong = math.nan
        values.append(wrong if math.isfinite(wrong) else None)
    return values


def answer_key(quiz: Quiz, variant: QuizVariant) -> dict[str, float]:
    """Every numeric question's answer in `variant`; VariantError, naming the variant, where
    the quiz file gives one no answer. (A known mistake may have no value in a variant:
    `mistake_values` then leaves it out, as nobody can give it.)"""
    key: dict[str, float] = {}
    for question in quiz.questions:
        if isinstance(question, Numeric):
            params = variant.of(question).params
            try:
                key[question.id] = numeric_answer(question, params)
            except VariantError as error:
                raise error.in_variant(variant.seed) from None
    return key


def drawn(quiz: Quiz, seed: int) -> QuizVariant:
    """The variant of `seed`, its answers computed as it is drawn (`answer_key`), so that a
    quiz file with no answer in it is refused (VariantError) before a question is shown."""
    variant = draw(quiz, seed)
    answer_key(quiz, variant)
    return variant


def known_mistake(
    question: Numeric, answer: AnswerValue | None, params: dict[str, float]
) -> Mistake | None:
    """The known mistake a wrong numeric answer matches, judged with the question's own
    tolerance around the mistaken value; None for a right answer or an unknown mistake."""
    given = as_number(answer)
    if given is None:
        return None
    expected = numeric_answer(question, params)
    if within_tolerance(given, expected, question.tolerance, question.rtol):
        return None
    for mistake, wrong in zip(question.mistakes, mistake_values(question, params), strict=True):
        # A mistake with no value in this variant: nobody can have given it.
        if wrong is not None and within_tolerance(given, wrong, question.tolerance, question.rtol):
            return mistake
    return None


def as_number(answer: AnswerValue | None) -> float | None:
    if isinstance(answer, bool) or answer is None or isinstance(answer, list):
        return None
    if isinstance(answer, str):
        try:
            answer = float(answer)
        except ValueError:
            return None
    return answer if math.isfinite(answer) else None


def as_truth(answer: AnswerValue | None) -> bool | None:
    if isinstance(answer, bool):
        return answer
    if isinstance(answer, str) and answer.lower() in ("true", "false"):
        return answer.lower() == "true"
    return None


def as_picks(answer: AnswerValue | None, option_ids: list[str]) -> set[str] | None:
    picks = [answer] if isinstance(answer, str) else answer
    if not isinstance(picks, list) or not set(picks) <= set(option_ids):
        return None
    return set(picks)


def fraction_right(
    question: Question, answer: AnswerValue | None, variant: QuestionVariant
) -> float:
    """How much of the question the answer earns, from 0 to 1."""
    if isinstance(question, SingleChoice):
        return 1.0 if isinstance(answer, str) and answer in question.correct_ids else 0.0
    if isinstance(question, MultipleChoice):
        option_ids = [option.id for option in question.options]
        picks = as_picks(answer, option_ids)
        if picks is None:
            return 0.0
        return multiple_choice_fraction(option_ids, question.correct_ids, picks)
    if isinstance(question, TrueFalse):
        return 1.0 if as_truth(answer) is question.answer else 0.0
    if isinstance(question, Numeric):
        given = as_number(answer)
        if given is None:
            return 0.0
        expected = numeric_answer(question, variant.params)
        return 1.0 if within_tolerance(given, expected, question.tolerance, question.rtol) else 0.0
    if isinstance(question, Ordering):
        right = [item.id for item in question.items]
        return 1.0 if answer == right else 0.0
    raise TypeError(f"no grading rule for {type(question).__name__}")


def grade_question(
    question: Question, answer: AnswerValue | None, variant: QuestionVariant
) -> QuestionResult:
    fraction = fraction_right(question, answer, variant)
    return QuestionResult(
        id=question.id,
        score=round(question.points * fraction, _DIGITS),
        max_score=question.points,
        correct=fraction == 1.0,
        params=dict(variant.params),
    )


def total(quiz: Quiz, seed: int, results: list[QuestionResult]) -> QuizResult:
    return QuizResult(
        quiz=quiz.id,
        seed=seed,
        score=round(sum(r.score for r in results), _DIGITS),
        max_score=round(quiz.max_score, _DIGITS),
        questions=results,
    )


def grade_quiz(quiz: Quiz, answers: Mapping[str, AnswerValue], variant: QuizVariant) -> QuizResult:
    """Every question graded; the ones without an answer score 0. VariantError, before any
    is graded, where the quiz file gives a question no answer in this variant."""
    answer_key(quiz, variant)
    results = [grade_question(q, answers.get(q.id), variant.of(q)) for q in quiz.questions]
    return total(quiz, variant.seed, results)
