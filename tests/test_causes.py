"""Causes before consequences: a check that fails because a function it calls fails points
there; an error repeated by several checks of one call is shown once; sgd_step fails where it
changes its arguments; each stable formula has its own advice; small inputs are shown."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from grader.calls import Frame, LearnerError
from grader.catalog import Catalog, ExerciseEntry
from grader.checks import checks_for
from grader.checks.base import (
    LOG_SOFTMAX_ADVICE,
    SIGMOID_ADVICE,
    SOFTMAX_ADVICE,
    OutputCheck,
    Verdict,
    small_inputs,
)
from grader.checks.consequences import learner_calls, traced
from grader.report import CheckReport, ExerciseReport

from .conftest import ROOT, SOLUTIONS, grade_in

CORPUS = ROOT / "tests" / "corpus"


def _graded(entry: ExerciseEntry | None, tmp_path: Path, old: str, new: str) -> ExerciseReport:
    """The reference solution with one line changed, graded as the learner's file."""
    assert entry is not None
    text = (SOLUTIONS / entry.file).read_text(encoding="utf-8")
    assert old in text
    folder = tmp_path / "exercises"
    folder.mkdir()
    (folder / entry.file).write_text(text.replace(old, new), encoding="utf-8")
    return grade_in(entry, folder)


def _check(report: ExerciseReport, name: str) -> CheckReport:
    return next(c for c in report.checks if c.name == name)


def test_a_wrong_da_dz_is_named_as_the_cause_downstream(catalog: Catalog, tmp_path: Path) -> None:
    report = _graded(
        catalog.find("exercise01"), tmp_path, "da_dz = a * (1.0 - a)", "da_dz = a * a"
    )
    failed = {c.name for c in report.checks if not c.passed}
    assert {"local_derivatives.da_dz", "neuron_gradients.dL_dw", "descent_step.w"} <= failed
    cause = _check(report, "local_derivatives.da_dz").message
    assert "consequence" not in cause
    gradients = _check(report, "neuron_gradients.dL_dw").message.splitlines()
    assert gradients[1].strip() == (
        "Probably a consequence of local_derivatives.da_dz failing (neuron_gradients uses "
        "it): fix that first."
    )
    step = _check(report, "descent_step.w").message
    assert (
        "Probably a consequence of local_derivatives.da_dz failing (descent_step uses "
        "neuron_gradients, which uses local_derivatives): fix that first."
    ) in step


def test_a_transposed_dw1_points_train_step_at_the_backward_check(
    catalog: Catalog, tmp_path: Path
) -> None:
    entry = catalog.find("exercise05")
    report = _graded(entry, tmp_path, "dW1 = dZ1.T @ X", "dW1 = X.T @ dZ1")
    assert _check(report, "two_layer_backward.W1").diagnosis == "transposed"
    params = _check(report, "train_step.params")
    assert "raised ValueError" in params.message
    assert "consequence of two_layer_backward.W1 failing (train_step uses it)" in params.message
    # the loss comes from the same crashing call: its error is said once, by params
    loss = _check(report, "train_step.loss").message
    assert loss.splitlines()[0] == (
        "train_step: the same error as train_step.params (ValueError: operands could not be "
        "broadcast together with shapes (6,5) (5,6))."
    )
    assert "line" not in loss and "consequence of two_layer_backward.W1" in loss


def _crashing(name: str) -> OutputCheck:
    return OutputCheck(name, "linear_backward", ("dZ", "X", "W"), lambda rng: [])


def test_the_same_error_is_shown_once() -> None:
    frames = (Frame("exercise03_linear.py", 40, "linear_backward", "dX = dZ @ W.T"),)
    error = LearnerError("exception", "ValueError", "matmul: mismatch", frames)
    other = LearnerError("exception", "TypeError", "unsupported operand", frames)
    checks = [_crashing(f"linear_backward.{item}") for item in ("dX", "dW", "db")]
    crashed = "linear_backward(...) raised ValueError: matmul: mismatch\n  trace"
    verdicts = [
        Verdict(False, crashed, error=error),
        Verdict(False, crashed, error=error),
        Verdict(False, "linear_backward(...) raised TypeError: unsupported\n  trace", error=other),
    ]
    shown = traced(checks, verdicts)
    assert shown[0].message == verdicts[0].message
    assert shown[1].message == (
        "linear_backward: the same error as linear_backward.dX (ValueError: matmul: mismatch)."
    )
    assert shown[2].message == verdicts[2].message  # another error is shown whole


def test_a_timeout_shared_by_checks_is_shown_once() -> None:
    stopped = LearnerError("aborted", "", "timed out after 10 s, in linear_backward, line 40")
    checks = [_crashing("linear_backward.dX"), _crashing("linear_backward.dW")]
    verdicts = [Verdict(False, "did not answer: ...", error=stopped)] * 2
    shown = traced(checks, verdicts)
    assert shown[1].message == (
        "linear_backward: the same error as linear_backward.dX (it did not answer: timed out "
        "after 10 s, in linear_backward, line 40)."
    )


def test_sgd_step_says_it_changed_its_arguments_beside_it(
    catalog: Catalog, tmp_path: Path
) -> None:
    """The advice check's finding, beside sgd_step: its points stay (a forged report of the
    arguments must earn nothing, tests/test_advice.py), its message says it."""
    entry = catalog.find("exercise05")
    assert entry is not None
    folder = tmp_path / "exercises"
    folder.mkdir()
    learner = CORPUS / "exercise05" / "bug_sgd_step_inplace.py"
    (folder / entry.file).write_bytes(learner.read_bytes())
    report = grade_in(entry, folder)
    sgd = _check(report, "sgd_step")
    assert sgd.passed
    assert "but it changed its argument params in place" in sgd.message
    assert "see arguments_unchanged" in sgd.message
    right = grade_in(entry, SOLUTIONS)
    assert _check(right, "sgd_step").message.startswith("right on all")
    assert "changed" not in _check(right, "sgd_step").message


def _check_named(exercise: str, name: str) -> OutputCheck:
    check = next(c for c in checks_for(exercise) if c.name == name)
    assert isinstance(check, OutputCheck)
    return check


def test_each_stable_formula_has_its_own_advice() -> None:
    sigmoid = _check_named("exercise02", "sigmoid.stable").advice
    softmax = _check_named("exercise04", "softmax.stable").advice
    entropy = _check_named("exercise04", "softmax_cross_entropy.stable").advice
    assert (sigmoid, softmax, entropy) == (SIGMOID_ADVICE, SOFTMAX_ADVICE, LOG_SOFTMAX_ADVICE)
    assert "row max" not in sigmoid and "abs(z)" in sigmoid
    assert "log-sum-exp" in entropy and "log(softmax" in entropy
    assert "subtract the row max" in softmax


def test_small_inputs_are_shown_and_large_ones_are_not() -> None:
    X = np.array([[0.5, -1.23456], [3.1, 0.0]])
    line = small_inputs(("X", "lr"), {"X": X, "lr": 0.1})
    assert line == "Inputs: X = [[0.5, -1.235], [3.1, 0.0]], lr = 0.1"
    assert small_inputs(("X",), {"X": np.zeros((4, 4))}) == ""
    assert small_inputs(("w", "b"), {"w": 0.5, "b": 1.0}) == ""  # the call shows them already
    params = {"W": np.ones((1, 2)), "b": np.zeros(1)}
    assert small_inputs(("params",), {"params": params}) == (
        "Inputs: params = {'W': [[1.0, 1.0]], 'b': [0.0]}"
    )


def _neuron_checks() -> list[OutputCheck]:
    def check(name: str, function: str, uses: tuple[str, ...] = ()) -> OutputCheck:
        return OutputCheck(name, function, ("w",), lambda rng: [], uses=uses)

    return [
        check("local_derivatives.da_dz", "local_derivatives"),
        check("neuron_gradients.dL_dw", "neuron_gradients", ("local_derivatives",)),
    ]


WRONG = [Verdict(False, "local_derivatives(...): wrong da_dz."), Verdict(False, "wrong dL_dw.")]


def test_the_learners_own_calls_decide_where_their_file_says() -> None:
    checks = _neuron_checks()
    # their neuron_gradients computes everything itself: its failure is its own
    inline = traced(checks, WRONG, {"neuron_gradients": (), "local_derivatives": ()})
    assert inline[1].message == "wrong dL_dw."
    # through a helper of theirs that calls it: a consequence
    helper = {"neuron_gradients": ("_chain",), "_chain": ("local_derivatives",)}
    assert "consequence of local_derivatives.da_dz" in traced(checks, WRONG, helper)[1].message
    # without their file, the spec's uses
    assert "consequence of local_derivatives.da_dz" in traced(checks, WRONG)[1].message


def test_who_calls_whom_is_read_from_the_text_of_the_file() -> None:
    source = (
        "import numpy as np\n"
        "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n"
        "def _slope(a):\n    return a * (1 - a)\n"
        "def local_derivatives(w, b, x, y):\n    a = sigmoid(w * x + b)\n    return _slope(a)\n"
        "class Value:\n    def grad(self):\n        return local_derivatives(1, 2, 3, 4)\n"
    )
    calls = learner_calls(source)
    assert calls is not None
    assert calls["local_derivatives"] == ("sigmoid", "_slope")
    assert calls["Value"] == ("local_derivatives",) and calls["sigmoid"] == ()
    assert learner_calls("def broken(:\n") is None and learner_calls(None) is None


def test_a_large_failing_case_shows_a_smaller_one_that_fails_too(
    catalog: Catalog, tmp_path: Path
) -> None:
    report = _graded(
        catalog.find("exercise03"),
        tmp_path,
        "    dW = dZ.T @ X  #",
        "    dW = (dZ.T @ X) * (1.0 + X[:1])  #",  # a factor per column: no mistake names it
    )
    message = _check(report, "linear_backward.dW").message
    assert "Likely mistake" not in message
    smaller = next(line.strip() for line in message.splitlines() if "smaller case" in line)
    assert smaller.startswith("A smaller case fails too, linear_backward.dW#")
    assert "(N=1, D_in=3, D_out=2): dZ = [[" in smaller and "W = [[" in smaller


def test_a_function_that_does_not_call_the_failing_one_is_not_its_consequence(
    catalog: Catalog, tmp_path: Path
) -> None:
    """Their neuron_gradients computes its own factors (with a wrong slope of its own): its
    file says it never calls local_derivatives, so no pointer, though the spec's uses has one."""
    entry = catalog.find("exercise01")
    assert entry is not None
    text = (SOLUTIONS / entry.file).read_text(encoding="utf-8")
    call = "    dL_da, da_dz, dz_dw = local_derivatives(w, b, x, y)"
    inline = "    a = sigmoid(w * x + b)\n    dL_da, da_dz, dz_dw = 2.0 * (a - y), a * a, x"
    assert call in text and "da_dz = a * (1.0 - a)" in text
    text = text.replace(call, inline).replace("da_dz = a * (1.0 - a)", "da_dz = a * a")
    folder = tmp_path / "exercises"
    folder.mkdir()
    (folder / entry.file).write_text(text, encoding="utf-8")
    report = grade_in(entry, folder)
    gradients = _check(report, "neuron_gradients.dL_dw")
    assert not gradients.passed and not _check(report, "local_derivatives.da_dz").passed
    assert "consequence" not in gradients.message
    # descent_step does call neuron_gradients, which fails: that one is named
    assert "consequence of neuron_gradients.dL_dw failing (descent_step uses it)" in (
        _check(report, "descent_step.w").message
    )
