"""`quiz validate` proves a numeric question over its whole grid of variants or refuses it,
naming the question: the bad files of issue 11 (a log of a range that reaches 0, a range
that rounds to a constant, an underflow, points with no finite total) and a known mistake
that one interior variant would accept. The loader proves only when asked (`prove=True`, as
validate and export ask): taking a quiz does not pay for the grid."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli.quiz import quiz as quiz_cli
from grader.quiz.grid import MAX_GRID_POINTS, grid_size, param_values, prove
from grader.quiz.loader import QuizError, parse_quiz
from grader.quiz.models import Choices, Numeric, Range
from grader.quiz.variants import draw_param

HEADER = 'id = "x"\ntitle = "t"\n\n[[questions]]\nid = "q"\nexplanation = "e"\ntype = "numeric"\n'


def numeric(body: str) -> str:
    return HEADER + body


LOG_OF_A_RANGE_THROUGH_ZERO = numeric(
    'prompt = "{x}"\nanswer = "log(x)"\nrtol = 0.01\n'
    "params = { x = { low = -0.004, high = 100 } }\n"
)


def refusal(text: str) -> str:
    with pytest.raises(QuizError) as raised:
        parse_quiz(text, "bad.toml", prove=True)
    problems = raised.value.problems
    assert all(p.line is not None for p in problems if p.question is not None)
    return str(raised.value)


# --- the grid is what draw_param can give ------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high"),
    [(-0.004, 100.0), (0.005, 0.015), (-1.0, 1.0), (0.1, 0.3), (-2.0, -1.996), (1.004, 1.006)],
)
def test_the_grid_holds_every_draw_and_its_ends_are_drawn(low: float, high: float) -> None:
    param = Range(low=low, high=high)
    values = param_values(param)
    rng = random.Random(0)
    drawn = {draw_param(param, rng) for _ in range(20000)}
    assert drawn <= set(values)
    assert values == sorted(values) and len(set(values)) == len(values)
    assert values[0] == draw_param(Range(low=low, high=low + 1e-9), rng)  # the low end
    assert all(str(value) != "-0.0" for value in values)
    if len(values) <= 30:
        assert drawn == set(values)  # small grids: every value is reached


def test_the_range_of_issue_11_reaches_zero() -> None:
    assert param_values(Range(low=-0.004, high=100))[0] == 0.0


def test_choices_are_their_values() -> None:
    assert param_values(Choices(choices=[3, 1, 3])) == [3.0, 1.0]


# --- refusals ----------------------------------------------------------------------------


def test_a_log_of_a_range_that_rounds_to_zero_is_refused() -> None:
    # Issue 11: 200 sampled draws passed this file, and seed 4920 crashed quiz take.
    message = refusal(LOG_OF_A_RANGE_THROUGH_ZERO)
    assert 'question "q", field "answer": cannot be computed for x = 0' in message
    assert "log(0)" in message


def test_an_edge_is_proven_as_drawn() -> None:
    # 0.004 rounds to 0.00 (1/x has no value there); 0.005 rounds to 0.01, which is fine.
    refused = numeric(
        'prompt = "{x}"\nanswer = "1/x"\nrtol = 0.01\nparams = { x = { low = 0.004, high = 1 } }\n'
    )
    assert "cannot be computed for x = 0" in refusal(refused)
    parse_quiz(refused.replace("low = 0.004", "low = 0.005"), "ok.toml", prove=True)


def test_a_range_that_rounds_to_a_constant_is_refused() -> None:
    text = numeric(
        'prompt = "{x}"\nanswer = "x + 1"\ntolerance = 0.1\n'
        "params = { x = { low = 0.001, high = 0.004 } }\n"
    )
    message = refusal(text)
    assert 'field "params.x"' in message and "rounds to the single value 0" in message


@pytest.mark.parametrize(
    ("answer", "params", "fragment"),
    [
        ("0.25**n", "{ n = { choices = [4, 600] } }", "for n = 600: a power underflows to 0"),
        ("exp(-x)", "{ x = { low = 700, high = 800 } }", "exp(...) underflows to 0"),
        ("exp(x)", "{ x = { low = 700, high = 710 } }", "cannot be computed for x = 709.79"),
        ("1/(x - 1)", "{ x = { low = 0, high = 2 } }", "cannot be computed for x = 1"),
        ("sqrt(x)", "{ x = { low = -1, high = 1 } }", "cannot be computed for x = -1"),
        ("(-x)**0.5", "{ x = { low = 1, high = 2 } }", "cannot be computed for x = 1"),
        ("1 - sigmoid(x)", "{ x = { low = 20, high = 40 } }", "rounds to exactly 1"),
        ("1/(1/(x*1e300*1e10))", "{ x = { low = 1, high = 2 } }", "cannot be computed for x = 1"),
    ],
)
def test_answers_with_no_finite_value_or_an_underflow_somewhere_are_refused(
    answer: str, params: str, fragment: str
) -> None:
    text = numeric(
        f'prompt = "{{{params[2]}}}"\nanswer = "{answer}"\nrtol = 0.01\nparams = {params}\n'
    )
    message = refusal(text)
    assert 'question "q", field "answer"' in message
    assert fragment in message


def test_points_that_add_up_to_infinity_are_refused() -> None:
    question = (
        '\n[[questions]]\nid = "{}"\ntype = "true_false"\nprompt = "p"\nanswer = true\n'
        'explanation = "e"\npoints = 1e308\n'
    )
    text = 'id = "x"\ntitle = "t"\n' + question.format("a") + question.format("b")
    message = refusal(text)
    assert 'field "points"' in message and "no finite total" in message


@pytest.mark.parametrize(
    ("answer", "shown"),
    [('"x - x + 2"', "2"), ('"3"', "3"), ("3", "3"), ('"x * 3 / x"', "3")],
)
def test_an_answer_the_params_never_change_is_refused(answer: str, shown: str) -> None:
    body = f'prompt = "{{x}}"\nanswer = {answer}\ntolerance = 0.001\n'
    message = refusal(numeric(body + "params = { x = { choices = [1, 2, 5] } }\n"))
    assert f'question "q", field "answer": the answer is {shown} in every variant' in message
    assert "the params (x) never change it" in message
    assert len(message.splitlines()) == 1


def test_an_answer_that_moves_less_than_the_tolerance_is_refused() -> None:
    # 2 + x/1000 moves by 0.001 over the range: 2.0005 is within 0.01 of every variant.
    body = (
        'prompt = "{x}"\nanswer = "2 + x/1000"\ntolerance = 0.01\n'
        "params = { x = { low = 0, high = 1 } }\n"
    )
    message = refusal(numeric(body))
    assert 'field "answer": 2.0005 scores full marks in every variant' in message
    assert "from 2 to 2.001, within the tolerance" in message
    parse_quiz(numeric(body.replace("0.01", "0.0001")), "ok.toml", prove=True)


def test_a_param_that_plays_no_part_or_a_single_variant_is_not_refused() -> None:
    # weight-gradient shows x1 as a distractor; a one-value param only puts a number in the
    # prompt: neither makes every learner's answer the same across variants that differ.
    distractor = (
        'prompt = "{d} {x1} {x2}"\nanswer = "d * x2"\nrtol = 0.01\n'
        "params = { d = { low = 0.2, high = 0.8 }, x1 = { choices = [1, 2] }, "
        "x2 = { choices = [-1, 3] } }\n"
    )
    parse_quiz(numeric(distractor), "ok.toml", prove=True)
    single = 'prompt = "{x}"\nanswer = "2*x"\ntolerance = 0.01\n'
    single += "params = { x = { choices = [3] } }\n"
    parse_quiz(numeric(single), "ok.toml", prove=True)


def test_a_grid_too_large_to_prove_is_refused() -> None:
    params = ", ".join(f"{n} = {{ low = -1, high = 1 }}" for n in "abcd")
    text = numeric(
        f'prompt = "{{a}}{{b}}{{c}}{{d}}"\nanswer = "a+b+c+d"\nrtol = 0.01\n'
        f"params = {{ {params} }}\n"
    )
    message = refusal(text)
    assert 'field "params"' in message and f"more than the {MAX_GRID_POINTS}" in message


def test_a_mistake_accepted_in_one_interior_variant_is_refused() -> None:
    # x*x and 2*x agree only at x = 2.00, one value of 451: sampling would miss it.
    body = (
        'prompt = "{x}"\nanswer = "x*x"\nrtol = 0.001\n'
        "params = { x = { low = 0.5, high = 5 } }\n"
        'mistakes = [{ expression = "2*x", feedback = "f" }]\n'
    )
    message = refusal(numeric(body))
    assert 'field "mistakes[0].expression": scores full marks for x = 2' in message


def test_a_mistake_close_to_the_answer_is_refused_even_where_it_scores_zero() -> None:
    # 1.01 * x is outside 0.5 % of x but a learner rounding it could land inside.
    body = (
        'prompt = "{x}"\nanswer = "x"\nrtol = 0.005\n'
        "params = { x = { choices = [1, 2] } }\n"
        'mistakes = [{ expression = "1.008*x", feedback = "f" }]\n'
    )
    assert "is within 2 times the tolerance for x = 1" in refusal(numeric(body))


def test_mistakes_far_from_the_answer_pass_and_where_they_have_no_value_is_not_judged() -> None:
    body = (
        'prompt = "{x}"\nanswer = "x + 10"\ntolerance = 0.01\n'
        "params = { x = { low = -1, high = 1 } }\n"
        'mistakes = [{ expression = "log(x)", feedback = "f" },\n'
        '  { expression = "x", feedback = "g" }]\n'
    )
    quiz = parse_quiz(numeric(body), "ok.toml", prove=True)
    question = quiz.questions[0]
    assert isinstance(question, Numeric)
    assert prove(question) is None and grid_size(question) == 201


def test_a_mistake_that_is_not_an_expression_of_the_params_is_refused() -> None:
    body = (
        'prompt = "{x}"\nanswer = "x"\ntolerance = 0.01\nparams = { x = { choices = [1] } }\n'
        'mistakes = [{ expression = "y", feedback = "f" }]\n'
    )
    assert 'field "mistakes[0].expression": unknown name' in refusal(numeric(body))


def test_a_constant_answer_is_proven_against_its_mistakes() -> None:
    body = (
        'prompt = "p"\nanswer = 0.25\ntolerance = 0.001\n'
        'mistakes = [{ expression = 0.2505, feedback = "f" }]\n'
    )
    assert "scores full marks: the answer is 0.25" in refusal(numeric(body))


def test_loading_without_prove_leaves_the_grid_to_validate() -> None:
    # Only the grid sees x = 0: the model's own check samples the middle of the range.
    quiz = parse_quiz(LOG_OF_A_RANGE_THROUGH_ZERO, "bad.toml")
    assert [question.id for question in quiz.questions] == ["q"]


def test_points_with_no_finite_total_are_refused_even_without_prove() -> None:
    question = (
        '\n[[questions]]\nid = "{}"\ntype = "true_false"\nprompt = "p"\nanswer = true\n'
        'explanation = "e"\npoints = 1e308\n'
    )
    with pytest.raises(QuizError, match="no finite total"):
        parse_quiz('id = "x"\ntitle = "t"\n' + question.format("a") + question.format("b"))


# --- through the command line --------------------------------------------------------------


def test_validate_and_export_refuse_the_file_of_issue_11_with_the_question_named(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(LOG_OF_A_RANGE_THROUGH_ZERO)
    runner = CliRunner()
    validated = runner.invoke(quiz_cli, ["validate", str(bad)])
    assert validated.exit_code == 2
    assert (
        f'{bad}:9: question "q", field "answer": cannot be computed for x = 0' in validated.output
    )
    exported = runner.invoke(quiz_cli, ["export", str(bad), "--format", "gift"])
    assert exported.exit_code == 2 and "Traceback" not in exported.output
    assert 'question "q"' in exported.output
