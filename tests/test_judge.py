"""The trusted side on its own: central differences, tolerances, diagnoses, feedback tables."""

from __future__ import annotations

import dataclasses
import types
from typing import Any

import numpy as np
import pytest

from grader.judge.compare import ATOL, RTOL, close, mismatch, wrong_cells
from grader.judge.diagnose import Factor, Finding, Reading, diagnose
from grader.judge.feedback import describe_mismatch
from grader.judge.types import type_problem
from grader.numeric import (
    numeric_derivative,
    numeric_gradient,
    rel_error,
    smooth_numeric_gradient,
    upstream_loss,
)


def named(*args: Any, **kwargs: Any) -> Finding | None:
    """The best explanation diagnose finds, or None."""
    return diagnose(*args, **kwargs).first


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


# --- numeric gradients -------------------------------------------------------------------------


def test_numeric_gradient_of_a_sum_of_squares(rng: np.random.Generator) -> None:
    x = rng.normal(size=(3, 4))
    grad = numeric_gradient(lambda v: float(np.sum(v**2)), x)
    np.testing.assert_allclose(grad, 2 * x, rtol=1e-6, atol=1e-8)


def test_numeric_gradient_of_a_quadratic_form(rng: np.random.Generator) -> None:
    a = rng.normal(size=(4, 4))
    x = rng.normal(size=4)
    grad = numeric_gradient(lambda v: float(v @ a @ v), x)
    np.testing.assert_allclose(grad, (a + a.T) @ x, rtol=1e-6, atol=1e-8)


def test_numeric_gradient_of_log_sum_exp_is_softmax(rng: np.random.Generator) -> None:
    z = rng.normal(size=5)
    grad = numeric_gradient(lambda v: float(np.log(np.sum(np.exp(v)))), z)
    softmax = np.exp(z) / np.exp(z).sum()
    np.testing.assert_allclose(grad, softmax, rtol=1e-6, atol=1e-8)


def test_numeric_gradient_through_upstream_loss(rng: np.random.Generator) -> None:
    """The gradient of sum(tanh(Z) * U) is what tanh_backward(U, Z) must return."""
    z = rng.normal(size=(2, 3))
    upstream = rng.normal(size=(2, 3))
    grad = numeric_gradient(upstream_loss(np.tanh, upstream), z)
    np.testing.assert_allclose(grad, upstream * (1 - np.tanh(z) ** 2), rtol=1e-6, atol=1e-8)


def test_numeric_gradient_leaves_its_input_alone(rng: np.random.Generator) -> None:
    x = rng.normal(size=(2, 2))
    before = x.copy()
    numeric_gradient(lambda v: float(np.sum(v**3)), x)
    np.testing.assert_array_equal(x, before)


def test_numeric_derivative_and_rel_error() -> None:
    assert numeric_derivative(np.sin, 0.3) == pytest.approx(np.cos(0.3), rel=1e-8)
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert rel_error(np.array([1.0]), np.array([1.1])) == pytest.approx(0.1 / 2.1)


# --- tolerances --------------------------------------------------------------------------------


def test_tolerances_are_tight() -> None:
    assert RTOL <= 1e-6
    assert ATOL <= 1e-9


def test_relative_differences_of_1e_12_pass(rng: np.random.Generator) -> None:
    expected = rng.normal(size=(3, 4))
    received = expected * (1 + 1e-12)
    assert close(received, expected)
    assert not wrong_cells(received, expected).any()


def test_relative_differences_of_1e_3_fail(rng: np.random.Generator) -> None:
    expected = rng.normal(size=(3, 4)) + 2.0  # no cell near 0
    assert not close(expected * (1 + 1e-3), expected)
    received = expected.copy()
    received[1, 2] *= 1 + 1e-3
    mask = wrong_cells(received, expected)
    assert mask[1, 2]
    assert mask.sum() == 1


def test_a_single_number_off_by_1e_3_fails() -> None:
    assert close(2.5 * (1 + 1e-12), 2.5)
    assert not close(2.5 * (1 + 1e-3), 2.5)


def test_nan_where_a_number_is_expected_fails(rng: np.random.Generator) -> None:
    expected = rng.normal(size=(2, 3))
    received = expected.copy()
    received[0, 1] = np.nan
    assert not close(received, expected)
    mask = wrong_cells(received, expected)
    assert mask[0, 1]
    assert mask.sum() == 1
    assert not close(float("nan"), 1.0)


def test_inf_where_a_number_is_expected_fails() -> None:
    assert not close(np.array([1.0, np.inf]), np.array([1.0, 2.0]))
    assert close(np.array([1.0, np.inf]), np.array([1.0, np.inf]))


def test_shape_or_type_mismatch_is_not_close(rng: np.random.Generator) -> None:
    expected = rng.normal(size=(2, 3))
    assert not close(expected.T, expected)
    assert not close(expected.ravel(), expected)
    assert not close("not numbers", expected)
    assert not close(None, expected)


def test_mismatch_counts_and_measures(rng: np.random.Generator) -> None:
    expected = np.array([[1.0, 2.0], [3.0, 4.0]])
    received = np.array([[1.0, 2.5], [3.0, 2.0]])
    diff = mismatch(received, expected)
    assert diff.count == 2
    assert diff.max_abs == pytest.approx(2.0)
    assert diff.max_rel == pytest.approx(0.5)


# --- diagnoses ---------------------------------------------------------------------------------


def test_transposed(rng: np.random.Generator) -> None:
    expected = rng.normal(size=(4, 5))
    finding = named(expected.T.copy(), expected, name="dW")
    assert finding is not None
    assert finding.tag == "transposed"
    assert "dW" in finding.sentence
    assert "(4, 5)" in finding.sentence
    assert "(5, 4)" in finding.sentence


def test_scaled_by_one_over_n_names_the_factor(rng: np.random.Generator) -> None:
    expected = rng.normal(size=(3, 4))
    factors = {"N": Factor(3, "the batch size"), "D": Factor(4, "the number of features")}
    finding = named(expected / 3, expected, name="db", factors=factors)
    assert finding is not None
    assert finding.tag == "scaled"
    assert "1/N (N = 3" in finding.sentence


def test_scaled_by_two_without_factors(rng: np.random.Generator) -> None:
    expected = rng.normal(size=(2, 3))
    finding = named(2 * expected, expected, name="dA")
    assert finding is not None
    assert finding.tag == "scaled"
    assert "is 2 times" in finding.sentence


def test_sign(rng: np.random.Generator) -> None:
    expected = rng.normal(size=(3, 2))
    finding = named(-expected, expected, name="dZ")
    assert finding is not None
    assert finding.tag == "sign"


def test_batch_sum(rng: np.random.Generator) -> None:
    per_example = rng.normal(size=(6, 3))
    finding = named(per_example, per_example.sum(axis=0), name="db")
    assert finding is not None
    assert finding.tag == "batch_sum"
    assert "sum(axis=0)" in finding.sentence


def test_a_modeled_mistake_comes_before_the_generic_detectors(rng: np.random.Generator) -> None:
    expected = rng.normal(size=(4, 5))
    received = expected.T.copy()
    modeled = [
        (Finding("wrong_variable", "a different model"), rng.normal(size=(5, 4))),
        (Finding("upstream_ignored", "you forgot dZ"), received.copy()),
    ]
    finding = named(received, expected, name="dW", modeled=modeled)
    assert finding == Finding("upstream_ignored", "you forgot dZ")
    # without the model the same array is a plain transpose
    assert named(received, expected, name="dW").tag == "transposed"


def test_a_modeled_mistake_that_does_not_fit_is_passed_over(rng: np.random.Generator) -> None:
    expected = rng.normal(size=(3, 3))
    modeled = [(Finding("upstream_ignored", "you forgot dA"), rng.normal(size=(3, 3)))]
    finding = named(-expected, expected, name="dZ", modeled=modeled)
    assert finding is not None
    assert finding.tag == "sign"


def test_baseline_judges_an_update_by_its_step(rng: np.random.Generator) -> None:
    w = rng.normal(size=(3, 4))
    step = 0.1 * rng.normal(size=(3, 4))
    finding = named(w - 2 * step, w - step, name="W", baseline=w)
    assert finding is not None
    assert finding.tag == "scaled"
    assert "2 times" in finding.sentence
    ascent = named(w + step, w - step, name="W", baseline=w)
    assert ascent is not None
    assert ascent.tag == "sign"


def test_random_noise_has_no_diagnosis(rng: np.random.Generator) -> None:
    expected = rng.normal(size=(4, 5))
    assert named(rng.normal(size=(4, 5)), expected, name="dW") is None
    assert named(rng.normal(size=(5, 4)), expected, name="dW") is None


def test_a_wrong_scalar_with_an_unnamed_ratio_has_no_diagnosis() -> None:
    factors = {"N": Factor(3, "the batch size")}
    assert named(0.731 * 1.2345, 0.731, name="loss", factors=factors) is None
    # a named ratio on the same scalar is diagnosed
    finding = named(0.731 / 3, 0.731, name="loss", factors=factors)
    assert finding is not None
    assert finding.tag == "scaled"
    assert "1/N" in finding.sentence


def test_non_numeric_received_has_no_diagnosis() -> None:
    assert named("oops", np.ones(3), name="Z") is None


# --- the feedback table ------------------------------------------------------------------------


def _data_rows(text: str) -> list[str]:
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if "expected" in line and "received" in line)
    return lines[header + 1 :]


def test_describe_mismatch_stars_the_wrong_cells() -> None:
    expected = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    received = expected.copy()
    received[1, 0] = 40.0
    text = describe_mismatch("Z", received, expected, mismatch(received, expected))
    assert "1 of 6 elements differ" in text
    assert "(2, 3)" in text
    assert "(* = wrong)" in text
    rows = _data_rows(text)
    assert sum(row.count("*") for row in rows) == 1
    assert "40*" in rows[1]
    assert "*" not in rows[0]


def test_describe_mismatch_of_different_shapes_names_both_and_stars_nothing() -> None:
    expected = np.arange(6.0).reshape(2, 3)
    received = expected.T.copy()
    text = describe_mismatch("dW", received, expected, None)
    assert "expected shape (2, 3), received (3, 2)" in text
    assert "*" not in text


def test_describe_mismatch_of_scalars() -> None:
    text = describe_mismatch("loss", np.array(1.5), np.array(0.5), None)
    assert "expected 0.5, received 1.5" in text


# --- kinks, types, precision -------------------------------------------------------------------


def test_the_numeric_gradient_has_no_answer_at_a_kink_only() -> None:
    z = np.array([0.0, 1e-7, -1e-7, 3e-3, -2.0, 8.0])
    upstream = np.array([1.0, 2.0, -1.5, 0.5, 3.0, 0.7])
    grad = smooth_numeric_gradient(upstream_loss(lambda v: np.maximum(v, 0.0), upstream), z)
    assert np.isnan(grad[:3]).all()  # on the kink, and within h of it
    np.testing.assert_allclose(grad[3:], [0.5, 0.0, 0.7], atol=1e-8)


def test_a_smooth_function_has_a_numeric_answer_everywhere() -> None:
    z = np.array([0.0, 1e-7, -30.0, 30.0, 2.5])
    grad = smooth_numeric_gradient(upstream_loss(np.tanh, np.ones(5)), z)
    np.testing.assert_allclose(grad, 1 - np.tanh(z) ** 2, atol=1e-8)


@pytest.mark.parametrize(
    ("received", "words"),
    [
        ([1.0, 2.0], "Python list"),
        (np.ones(2, dtype=np.float32), "float32"),
        (np.ones(2, dtype=np.float16), "float16"),
        (np.ones(2, dtype=np.int64), "int64"),
        (np.ones(2, dtype=np.longdouble), "np.longdouble"),
    ],
)
def test_an_array_of_the_wrong_type_is_named(received: object, words: str) -> None:
    problem = type_problem(received, np.ones(2), "dZ")
    assert problem is not None and words in problem


def test_a_scalar_is_a_float_or_a_float64() -> None:
    assert type_problem(1.5, 0.5, "loss") is None
    assert type_problem(np.float64(1.5), 0.5, "loss") is None
    assert type_problem(np.array(1.5), 0.5, "loss") is None
    assert "float32" in (type_problem(np.array(1.5, dtype=np.float32), 0.5, "loss") or "")
    assert type_problem(True, 0.5, "loss") is not None


def test_float32_arithmetic_fails_and_is_named(rng: np.random.Generator) -> None:
    expected = rng.normal(size=(3, 4))
    received = expected.astype(np.float32).astype(np.float64)
    assert not close(received, expected)
    finding = named(received, expected, name="Z")
    assert finding is not None and "float32" in finding.sentence


def test_an_approximation_is_not_called_float32(rng: np.random.Generator) -> None:
    expected = rng.normal(size=(3, 4))
    assert named(expected * (1 + 1e-7), expected, name="Z") is None


def test_a_reading_allows_what_its_case_could_not_show() -> None:
    transposed = Finding("transposed", "t", "transposed")
    shown = Reading((transposed,), frozenset({"transposed"}))
    tried_and_not_shown = Reading((), frozenset({"transposed"}))
    not_tried = Reading((), frozenset({"sign"}))
    assert shown.allows(transposed) and not_tried.allows(transposed)
    assert not tried_and_not_shown.allows(transposed)


def test_a_small_kink_under_a_steep_slope_is_still_a_kink() -> None:
    """A ReLU whose upstream is tiny, beside a steep smooth slope: half its jump would still
    be outside the numeric tolerance, so the cell is left unjudged (as in seed 164)."""
    x = np.array([0.0, 1.0])
    grad = smooth_numeric_gradient(lambda v: float(np.sum(5 * v + 2e-4 * np.maximum(v, 0))), x)
    assert np.isnan(grad[0])
    assert grad[1] == pytest.approx(5.0002, rel=1e-8)


def test_a_check_adds_its_sentence_for_an_error_of_a_named_type() -> None:
    """`errors` teaches what an error's own words cannot (a RecursionError on a deep graph),
    and only for that type of error."""
    from grader.calls import Call, CallResult, LearnerError
    from grader.checks.base import Case, OutputCheck

    check = OutputCheck(
        name="deep",
        function="f",
        arguments=("x",),
        make_cases=lambda rng: [],
        errors=(("RecursionError", "Sort without recursion."),),
    )
    case = Case("a deep graph", {"x": 1.0})
    calls = [Call("c0", "f", (1.0,))]
    for kind, taught in (("RecursionError", True), ("ValueError", False)):
        failed = CallResult(error=LearnerError("exception", kind, "too deep"))
        verdict = check.judge_case(np.random, case, calls, [failed])  # type: ignore[arg-type]
        assert verdict is not None and not verdict.passed
        assert f"raised {kind}: too deep" in verdict.message
        assert ("Sort without recursion." in verdict.message) == taught


def test_a_plotted_check_reports_its_first_answer_as_a_pictures_numbers() -> None:
    """`plot="graph"`: a dict keyed "node.quantity" becomes PlotData.layers[quantity][node];
    an answer of another shape, or an error, gives no data."""
    from grader.calls import Call, CallResult, LearnerError
    from grader.checks.base import Case, Evidence, OutputCheck

    def evidence(result: CallResult) -> Evidence:
        return Evidence([Case("g", {"x": 1.0})], [[Call("c0", "f", (1.0,))]], [[result]], [], [])

    answer = {"a.data": 2.0, "c.data": 4.0, "c.grad": 1.0, "a.grad": 4.0}
    check = OutputCheck(name="g", function="f", arguments=("x",), make_cases=lambda rng: [])
    plotted = dataclasses.replace(check, plot="graph")
    reference = types.SimpleNamespace(f=lambda x: answer)
    right = CallResult(value=answer)
    assert check.judge(reference, evidence(right)).data is None  # type: ignore[arg-type]
    verdict = plotted.judge(reference, evidence(right))  # type: ignore[arg-type]
    assert verdict.passed and verdict.data is not None
    assert verdict.data.layers == {"data": {"a": 2.0, "c": 4.0}, "grad": {"c": 1.0, "a": 4.0}}
    for other in (CallResult(value=[1.0]), CallResult(error=LearnerError("exception", "E", "m"))):
        assert plotted.judge(reference, evidence(other)).data is None  # type: ignore[arg-type]
