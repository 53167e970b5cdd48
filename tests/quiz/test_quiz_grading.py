"""The scoring rules of issue 3, with scores worked out by hand."""

from __future__ import annotations

import math

import pytest

from grader.quiz.grading import grade_question, grade_quiz, multiple_choice_fraction
from grader.quiz.models import SCORING_NOTE, Numeric, Quiz
from grader.quiz.variants import QuestionVariant, draw

NO_VARIANT = QuestionVariant()
RIGHT_ORDER = ["forward", "loss", "backward", "step"]


def score(quiz: Quiz, question_id: str, answer: object, seed: int = 0) -> float:
    question = quiz.question(question_id)
    assert question is not None
    variant = draw(quiz, seed).of(question)
    return grade_question(question, answer, variant).score  # type: ignore[arg-type]


# --- single_choice -------------------------------------------------------------------------


@pytest.mark.parametrize(("answer", "expected"), [("a", 1), ("b", 0), ("c", 0), ("z", 0)])
def test_single_choice(example: Quiz, answer: str, expected: float) -> None:
    assert score(example, "loss-input", answer) == expected


# --- multiple_choice: a and b are correct, c and d wrong, 2 points ------------------------
# right_minus_wrong: +1/2 per correct pick, -1/2 per wrong pick (two of each), floored at 0.


@pytest.mark.parametrize(
    ("picks", "expected"),
    [
        (["a", "b"], 2.0),  # (2/2 - 0/2) * 2
        (["a"], 1.0),  # (1/2 - 0) * 2
        (["b", "a"], 2.0),  # order does not matter
        (["a", "c"], 0.0),  # (1/2 - 1/2) * 2
        (["a", "b", "c"], 1.0),  # (2/2 - 1/2) * 2
        (["c", "d"], 0.0),  # (0 - 2/2), floored at 0
        (["a", "b", "c", "d"], 0.0),  # every box: (2/2 - 2/2)
        ([], 0.0),  # no box
        ("a", 1.0),  # one id alone counts as a list of one
    ],
)
def test_right_minus_wrong(example: Quiz, picks: list[str], expected: float) -> None:
    assert score(example, "backward-computes", picks) == pytest.approx(expected)


@pytest.mark.parametrize("correct_count", range(1, 6))
@pytest.mark.parametrize("wrong_count", range(1, 6))
def test_neither_an_empty_answer_nor_every_box_earns_anything(
    correct_count: int, wrong_count: int
) -> None:
    correct = {f"c{i}" for i in range(correct_count)}
    options = sorted(correct) + [f"w{i}" for i in range(wrong_count)]
    for picks in (set(), set(options)):
        assert multiple_choice_fraction(options, correct, picks) == 0.0
    assert multiple_choice_fraction(options, correct, correct) == 1.0


def test_partial_credit_in_thirds_adds_up() -> None:
    options = ["a", "b", "c", "d", "e"]
    fraction = multiple_choice_fraction(options, {"a", "b", "c"}, {"a", "b"})
    assert fraction == pytest.approx(2 / 3)
    # three right and one of two wrong ones: 1 - 1/2
    fraction = multiple_choice_fraction(options, {"a", "b", "c"}, {"a", "b", "c", "d"})
    assert fraction == pytest.approx(1 / 2)


def test_the_rule_is_told_in_words_without_counts() -> None:
    note = SCORING_NOTE
    assert "never goes below 0" in note and "nothing" in note and "every option" in note
    # the note tells the rule, not how many options are correct
    assert not any(char.isdigit() and char != "0" for char in note)


def test_a_partly_right_answer_is_not_correct(example: Quiz) -> None:
    question = example.question("backward-computes")
    assert question is not None
    result = grade_question(question, ["a"], NO_VARIANT)
    assert (result.score, result.correct) == (1.0, False)


@pytest.mark.parametrize("answer", [["a", "x"], "x", True, 1.0, [1, 2]])
def test_a_malformed_multiple_choice_answer_scores_zero(example: Quiz, answer: object) -> None:
    assert score(example, "backward-computes", answer) == 0.0


# --- true_false ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [(True, 1), ("true", 1), ("True", 1), (False, 0), ("false", 0), (1.0, 0), ("yes", 0)],
)
def test_true_false(example: Quiz, answer: object, expected: float) -> None:
    assert score(example, "grads-accumulate", answer) == expected


# --- numeric: tolerance (absolute) and rtol (relative) -------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (0.25, 1),
        (0.251, 1),  # the boundary is inside
        (0.249, 1),
        (0.2511, 0),
        (0.2489, 0),
        ("0.25", 1),  # a number as text, as some LMS exports write it
        ("a quarter", 0),
        (True, 0),
    ],
)
def test_tolerance(example: Quiz, answer: object, expected: float) -> None:
    assert score(example, "sigmoid-slope-max", answer) == expected


def neuron_dw(w: float, b: float, x: float) -> float:
    """dL/dw for z = w*x + b, a = sigmoid(z), L = (a - 1)^2, by hand."""
    a = 1 / (1 + math.exp(-(w * x + b)))
    return 2 * (a - 1) * a * (1 - a) * x


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 42, 2024])
def test_rtol_on_a_parameterized_answer(example: Quiz, seed: int) -> None:
    question = example.question("neuron-dw")
    assert isinstance(question, Numeric)
    params = draw(example, seed).of(question).params
    expected = neuron_dw(params["w"], params["b"], params["x"])
    for factor, right in [
        (1.0, True),
        (1.0099, True),
        (0.9901, True),
        (1.011, False),
        (0.989, False),
    ]:
        result = grade_question(question, expected * factor, draw(example, seed).of(question))
        assert result.correct is right, (seed, factor)
        assert result.params == params


def test_the_example_seed_0_variant_by_hand(example: Quiz) -> None:
    # seed 0 draws w = 0.1, b = -0.1, x = 1: z = 0, a = 0.5, dL/dw = 2(-0.5)(0.25)(1) = -0.25.
    params = draw(example, 0).of(example.questions[4]).params
    assert params == {"w": 0.1, "b": -0.1, "x": 1.0}
    assert score(example, "neuron-dw", -0.25, seed=0) == 1
    assert score(example, "neuron-dw", -0.2526, seed=0) == 0


def test_tolerance_and_rtol_together_accept_within_either() -> None:
    question = Numeric(
        id="q", type="numeric", prompt="p", explanation="e", answer=100.0, tolerance=0.5, rtol=0.01
    )
    assert grade_question(question, 100.9, NO_VARIANT).correct  # within rtol (1.0)
    assert not grade_question(question, 101.1, NO_VARIANT).correct


def test_without_tolerance_a_literal_answer_must_match() -> None:
    question = Numeric(id="q", type="numeric", prompt="p", explanation="e", answer=0.25)
    assert grade_question(question, 0.25, NO_VARIANT).correct
    assert not grade_question(question, 0.2501, NO_VARIANT).correct


# --- ordering ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (RIGHT_ORDER, 1),
        (["loss", "forward", "backward", "step"], 0),
        (RIGHT_ORDER[:3], 0),
        ([*RIGHT_ORDER, "step"], 0),
        ("forward", 0),
    ],
)
def test_ordering_is_exact(example: Quiz, answer: object, expected: float) -> None:
    assert score(example, "loop-order", answer) == expected


# --- a whole quiz --------------------------------------------------------------------------


def test_a_full_set_of_answers(example: Quiz) -> None:
    answers = {
        "loss-input": "a",  # 1
        "backward-computes": ["a", "b", "c"],  # 1 of 2
        "grads-accumulate": True,  # 1
        "sigmoid-slope-max": 0.2505,  # 1
        "neuron-dw": -0.25,  # 1 (seed 0)
        "loop-order": ["forward", "loss", "step", "backward"],  # 0
    }
    result = grade_quiz(example, answers, draw(example, 0))
    assert result.quiz == "example"
    assert (result.score, result.max_score) == (5.0, 7.0)
    scores = {q.id: q.score for q in result.questions}
    assert scores == {
        "loss-input": 1.0,
        "backward-computes": 1.0,
        "grads-accumulate": 1.0,
        "sigmoid-slope-max": 1.0,
        "neuron-dw": 1.0,
        "loop-order": 0.0,
    }


def test_unanswered_questions_score_zero(example: Quiz) -> None:
    result = grade_quiz(example, {"loss-input": "a"}, draw(example, 0))
    assert (result.score, result.max_score) == (1.0, 7.0)
    assert [q.correct for q in result.questions] == [True] + [False] * 5
