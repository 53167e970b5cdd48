"""Held-out wrong answers: for every numeric question of the course's quizzes, the key scores
full marks and every known mistake scores 0 through the grading a learner meets
(`grade_question`), and `known_mistake` names the mistake for its feedback.

A question whose grid of variants has at most FULL_GRID points is graded at every point; a
larger grid (only clip-norm's, today) at its corners and at DRAWS seeded draws. Each mistake's
own feedback is checked at the first variant, of the first 50, where the mistakes differ.
The whole of every grid is proven by the loader with prove=True, as `quiz validate` loads:
test_quiz_bank.py loads the bank so, and test_quiz_grid.py shows that the proof catches a
mistake accepted at one interior point only."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator

import pytest

from grader.quiz.expression import evaluate, parse_expression
from grader.quiz.grading import grade_question, known_mistake, within_tolerance
from grader.quiz.grid import evaluate_many, grid, grid_size, param_values
from grader.quiz.loader import load_quiz, quiz_files
from grader.quiz.models import Numeric, Quiz
from grader.quiz.variants import QuestionVariant, draw, expected_value
from tests.quiz.helpers import QUIZZES

FULL_GRID = 5000
DRAWS = 3000

BANK = {quiz.id: quiz for quiz in map(load_quiz, quiz_files(QUIZZES))}
NUMERIC = [
    (quiz.id, question)
    for quiz in BANK.values()
    for question in quiz.questions
    if isinstance(question, Numeric)
]


def variants(quiz: Quiz, question: Numeric) -> Iterator[dict[str, float]]:
    """The variants to grade, made as they are asked for: every point of a small grid, else
    the grid's corners and then DRAWS draws."""
    axes = [param_values(param) for param in question.params.values()]
    small = grid_size(question) <= FULL_GRID
    ends = [sorted({values[0], values[-1]}) for values in axes]
    for point in itertools.product(*(axes if small else ends)):
        yield dict(zip(question.params, point, strict=True))
    if not small:
        for seed in range(DRAWS):
            yield draw(quiz, seed).of(question).params


@pytest.mark.parametrize(("quiz_id", "question"), NUMERIC, ids=[q.id for _, q in NUMERIC])
def test_the_key_scores_full_and_every_known_mistake_scores_zero(
    quiz_id: str, question: Numeric
) -> None:
    assert question.mistakes, f"{question.id} lists no known mistakes"
    for params in variants(BANK[quiz_id], question):
        variant = QuestionVariant(params=params)
        key = expected_value(question, params)
        assert grade_question(question, key, variant).score == question.points, params
        for mistake in question.mistakes:
            wrong = evaluate(mistake.parsed, params)
            result = grade_question(question, wrong, variant)
            assert result.score == 0, (question.id, mistake.expression, params)
            assert known_mistake(question, wrong, params) is not None, (mistake.expression, params)


@pytest.mark.parametrize(("quiz_id", "question"), NUMERIC, ids=[q.id for _, q in NUMERIC])
def test_a_mistake_is_named_with_its_own_feedback(quiz_id: str, question: Numeric) -> None:
    # The first variant where every mistake differs from the others: each gets its own.
    for params in itertools.islice(variants(BANK[quiz_id], question), 50):
        values = [evaluate(m.parsed, params) for m in question.mistakes]
        if any(
            within_tolerance(a, b, question.tolerance, question.rtol)
            for a, b in itertools.combinations(values, 2)
        ):
            continue  # two mistakes that happen to agree here (x = 2 is also a factor 2)
        for mistake, value in zip(question.mistakes, values, strict=True):
            assert known_mistake(question, value, params) is mistake
        assert known_mistake(question, expected_value(question, params), params) is None
        return
    pytest.fail(f"{question.id}: no variant tells its mistakes apart")


# --- the wrong answers an outside tester found scoring full marks ---------------------------

# Each scored in some variants before the bank listed it (the counts are of 2,500 draws, or
# the share of variants): now each is a listed mistake, and scores 0 in every variant.
REPORTED = [
    ("backprop", "sigmoid-saturated", "1 - sigmoid(z)"),  # at z in {4, 5, 6}, rtol 0.02
    ("pytorch-loop", "momentum-two-steps", "w - lr*g1 - lr*0.9*(g1 + g2)"),  # about half
    ("pytorch-loop", "momentum-two-steps", "w - lr*g1 - lr*(g1 + 0.9*g2)"),  # about half
    ("backprop", "sgd-step", "w - lr*g*w"),  # 36
    ("backprop", "sgd-step", "w - lr*w"),  # 9
    ("backprop", "minibatch-mean", "((w*x1 - y1)**2 + (w*x2 - y2)**2) / 2"),  # 7: the loss
    ("backprop", "chain-rule-two-layer", "(v*tanh(u*x) - y) * tanh(u*x)"),  # 4: dL/dv
    ("chain-rule", "composite", "(3*x + 1)**2"),  # 4: f itself
    ("backprop", "output-error-bce", "z - y"),  # 2
]


def _numeric(quiz_id: str, question_id: str) -> Numeric:
    question = BANK[quiz_id].question(question_id)
    assert isinstance(question, Numeric), question_id
    return question


@pytest.mark.parametrize(
    ("quiz_id", "question_id", "wrong"), REPORTED, ids=[f"{q}:{w}" for _, q, w in REPORTED]
)
def test_a_reported_wrong_answer_is_a_listed_mistake_scoring_zero_everywhere(
    quiz_id: str, question_id: str, wrong: str
) -> None:
    question = _numeric(quiz_id, question_id)
    tree = parse_expression(wrong, names=question.params)
    points = grid(question)
    answers = evaluate_many(question.expression, points).values
    given = evaluate_many(tree, points).values
    for index in range(grid_size(question)):
        params = {name: float(values[index]) for name, values in points.items()}
        value = float(given[index])
        assert not within_tolerance(value, answers[index], question.tolerance, question.rtol)
        found = known_mistake(question, value, params)
        assert found is not None, (wrong, params)
    # listed as written, so that its feedback is the one written for it
    assert wrong in [mistake.expression for mistake in question.mistakes]


# --- rounded as the prompt asks ------------------------------------------------------------

_PRECISION = re.compile(r"\((\d) (decimals|significant digits)\)")
ROUNDED = [
    (quiz_id, question) for quiz_id, question in NUMERIC if _PRECISION.search(question.prompt)
]


def _rounded(value: float, digits: int, kind: str) -> float:
    if kind == "decimals" or value == 0:
        return round(value, digits)
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


@pytest.mark.parametrize(("quiz_id", "question"), ROUNDED, ids=[q.id for _, q in ROUNDED])
def test_rounded_as_asked_the_key_scores_and_every_mistake_still_scores_zero(
    quiz_id: str, question: Numeric
) -> None:
    # sigmoid-saturated asks for 3 significant digits: 1 - a agreed with a(1 - a) to 3
    # digits at z = 6, so a learner who forgot the factor a and rounded scored full marks.
    found = _PRECISION.search(question.prompt)
    assert found is not None
    digits, kind = int(found.group(1)), found.group(2)
    for params in variants(BANK[quiz_id], question):
        variant = QuestionVariant(params=params)
        key = _rounded(expected_value(question, params), digits, kind)
        assert grade_question(question, key, variant).score == question.points, params
        for mistake in question.mistakes:
            wrong = _rounded(evaluate(mistake.parsed, params), digits, kind)
            assert grade_question(question, wrong, variant).score == 0, (mistake.expression, params)


def test_the_questions_that_ask_for_a_precision_are_checked_rounded() -> None:
    assert {q.id for _, q in ROUNDED} >= {
        "sigmoid-saturated",
        "momentum-two-steps",
        "neuron-step",
        "centered-difference",
    }
