"""Held-out wrong answers: for every numeric question of the course's quizzes, the key scores
full marks and every known mistake scores 0, in every variant, through the grading a learner
meets (`grade_question`), and `known_mistake` names the mistake for its feedback.

Every point of the question's grid of variants is graded when the grid is small (all of the
bank's but two); otherwise its corners and 3000 draws. `quiz validate` proves the rest of
those grids (tests/quiz/test_quiz_grid.py shows that it catches a mistake accepted at one
interior point only)."""

from __future__ import annotations

import itertools

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


def variants(quiz: Quiz, question: Numeric) -> list[dict[str, float]]:
    axes = [param_values(param) for param in question.params.values()]
    if grid_size(question) <= FULL_GRID:
        points = itertools.product(*axes)
    else:
        ends = [sorted({values[0], values[-1]}) for values in axes]
        points = itertools.product(*ends)
    chosen = [dict(zip(question.params, point, strict=True)) for point in points]
    if grid_size(question) > FULL_GRID:
        chosen += [draw(quiz, seed).of(question).params for seed in range(DRAWS)]
    return chosen


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
    for params in variants(BANK[quiz_id], question)[:50]:
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
