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
from collections.abc import Iterator

import pytest

from grader.quiz.expression import evaluate
from grader.quiz.grading import grade_question, known_mistake, within_tolerance
from grader.quiz.grid import grid_size, param_values
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
