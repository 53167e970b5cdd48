"""exercise02: sigmoid, ReLU and tanh, and their backward passes, elementwise on any shape."""

from __future__ import annotations

import numpy as np

from grader.checks.base import SIGMOID_ADVICE, Case, Check, Mistake, ones_upstream
from grader.checks.inputs import normal
from grader.checks.spec import Function, arguments_unchanged, gradient_of
from grader.numeric import smooth_numeric_gradient, upstream_loss

# any shape works elementwise: N = 1, a square, a vector, three axes; each holds every special
# value (inputs.SPECIAL_VALUES)
SHAPES = [(3, 5), (1, 13), (4, 4), (14,), (2, 4, 2)]
LARGE = np.array([[-1000.0, -710.0, -50.0, -1.0, 0.0], [1.0, 50.0, 710.0, 1000.0, -745.5]])


def activation_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for shape in SHAPES:
        inputs = {"Z": normal(rng, *shape, scale=2.0), "dA": normal(rng, *shape)}
        cases.append(Case(f"shape {shape}", inputs))
    # one sign everywhere, where a shortcut (return dA when every Z > 0) shows itself
    for sign in (1.0, -1.0):
        Z = sign * (np.abs(normal(rng, 2, 3, scale=2.0)) + 0.1)
        inputs = {"Z": Z, "dA": normal(rng, 2, 3)}
        cases.append(Case(f"every Z {'>' if sign > 0 else '<'} 0", inputs, plant=False))
    return cases


def large_cases(rng: np.random.Generator) -> list[Case]:
    mixed = rng.choice([-1000.0, -800.0, 800.0, 1000.0], size=(3, 4)) + normal(rng, 3, 4)
    return [Case("|Z| up to 1000", {"Z": LARGE.copy()}), Case("large random Z", {"Z": mixed})]


def kink_cases(rng: np.random.Generator) -> list[Case]:
    Z = np.array([[0.0, 1.5, -2.0, 0.0], [-0.0, 0.0, 3.0, -1.0]])
    return [Case("Z with exact zeros", {"Z": Z, "dA": normal(rng, *Z.shape)})]


def _forgot_upstream(function: str) -> Mistake:
    with_ones = ones_upstream("dA")
    return Mistake(
        "upstream_ignored",
        "you returned the local slope alone: multiply it by the upstream gradient dA.",
        lambda ref, c: getattr(ref, function)(with_ones(c).inputs["dA"], c.inputs["Z"]),
    )


def _sigmoid(Z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * Z))  # stable without warnings, for the models below


BACKWARD_ARGS = ("dA", "Z")
AT_ZERO = Mistake(
    None,
    "where Z is exactly 0 you passed dA through; the slope at 0 is 0 by our convention (as in PyTorch): use Z > 0, not Z >= 0.",
    lambda ref, c: np.where(c.inputs["Z"] >= 0, c.inputs["dA"], 0.0),
)

SIGMOID = Function("sigmoid", ("Z",), activation_cases, returns="A", advice=SIGMOID_ADVICE)
RELU = Function("relu", ("Z",), activation_cases, returns="A")
SIGMOID_BACKWARD = Function(
    "sigmoid_backward",
    BACKWARD_ARGS,
    activation_cases,
    returns="dZ",
    uses=("sigmoid",),
    advice=SIGMOID_ADVICE,
)
RELU_BACKWARD = Function("relu_backward", BACKWARD_ARGS, activation_cases, returns="dZ")
TANH_BACKWARD = Function("tanh_backward", BACKWARD_ARGS, activation_cases, returns="dZ")

CHECKS: list[Check] = [
    SIGMOID.output(
        elementwise=("Z",),
        mistakes=(
            Mistake(
                "sign",
                "you computed 1 / (1 + exp(Z)); the exponent is -Z.",
                lambda ref, c: _sigmoid(-c.inputs["Z"]),
            ),
        ),
    ),
    SIGMOID.output(suffix="stable", cases=large_cases, stable=True),
    SIGMOID_BACKWARD.output(
        elementwise=("Z",),
        gradient=gradient_of(SIGMOID, "Z", upstream="dA"),
        mistakes=(
            _forgot_upstream("sigmoid_backward"),
            Mistake(
                "wrong_variable",
                "you used Z * (1 - Z); the slope is s * (1 - s) with s = sigmoid(Z), the activation.",
                lambda ref, c: c.inputs["dA"] * c.inputs["Z"] * (1 - c.inputs["Z"]),
            ),
            Mistake(
                None,
                "the factor (1 - s) is missing: dZ = dA * s * (1 - s).",
                lambda ref, c: c.inputs["dA"] * _sigmoid(c.inputs["Z"]),
            ),
        ),
    ),
    RELU.output(
        elementwise=("Z",),
        mistakes=(
            Mistake(
                None,
                "np.max(Z, 0) takes the largest value along axis 0; np.maximum(Z, 0) compares each element with 0.",
                lambda ref, c: np.max(c.inputs["Z"], axis=0),
            ),
        ),
    ),
    RELU_BACKWARD.output(
        elementwise=("Z",),
        gradient=gradient_of(RELU, "Z", upstream="dA"),
        mistakes=(
            _forgot_upstream("relu_backward"),
            Mistake(
                "wrong_variable",
                "you multiplied dA by the activation relu(Z); the slope is 1 where Z > 0 and 0 elsewhere.",
                lambda ref, c: c.inputs["dA"] * np.maximum(c.inputs["Z"], 0),
            ),
            Mistake(
                "wrong_variable",
                "the mask was taken from dA; the ReLU's slope depends on its input Z: dA where Z > 0, else 0.",
                lambda ref, c: np.where(c.inputs["dA"] > 0, c.inputs["dA"], 0.0),
            ),
            AT_ZERO,
        ),
    ),
    RELU_BACKWARD.output(suffix="at_zero", cases=kink_cases, mistakes=(AT_ZERO,)),
    TANH_BACKWARD.output(
        elementwise=("Z",),
        # the contract has no tanh forward to differentiate: NumPy's is the oracle
        gradient=lambda ref, c: smooth_numeric_gradient(
            upstream_loss(np.tanh, c.inputs["dA"]), c.inputs["Z"]
        ),
        mistakes=(
            _forgot_upstream("tanh_backward"),
            Mistake(
                "wrong_variable",
                "you used 1 - Z**2; the slope is 1 - tanh(Z)**2, from the activation tanh(Z).",
                lambda ref, c: c.inputs["dA"] * (1 - c.inputs["Z"] ** 2),
            ),
            Mistake(
                None,
                "you squared (1 - tanh(Z)); the slope is 1 - tanh(Z)**2.",
                lambda ref, c: c.inputs["dA"] * (1 - np.tanh(c.inputs["Z"])) ** 2,
            ),
        ),
    ),
    arguments_unchanged(SIGMOID, SIGMOID_BACKWARD, RELU, RELU_BACKWARD, TANH_BACKWARD),
]
