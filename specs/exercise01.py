"""exercise01: one neuron, z = w*x + b, a = sigmoid(z), L = (a - y)^2, and the chain rule."""

from __future__ import annotations

import math
from collections.abc import Callable
from types import ModuleType

import numpy as np

from grader.checks.base import Case, Check, Mistake
from grader.checks.inputs import batch_factors
from grader.checks.spec import Function, gradient_of
from grader.judge.diagnose import Factor
from grader.numeric import numeric_derivative

ARGUMENTS = ("w", "b", "x", "y")
Model = Callable[[ModuleType, Case], object]


def _neuron(case: Case) -> tuple[float, float]:
    """z and a for this case, for the models of mistakes."""
    i = case.inputs
    z = i["w"] * i["x"] + i["b"]
    return z, 0.5 * (1.0 + math.tanh(0.5 * z))  # stable for any z


# (x, y, lr) of each case, fixed so that every draw meets each mistake: a fractional target
# (formulas that hold only for y = 0 or 1), x = 0 (nothing may divide by x), a negative x,
# a saturated neuron (z = 8, slope 3e-4), one far past where exp overflows (z = -750), and the
# worked example last.
NEURON_CASES = (
    (-3.0, 0.3, 0.05),
    (1.5, 0.0, 0.1),
    (0.0, 0.75, 0.3),
    (-1.5, 1.0, 0.01),
)


def neuron_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for x, y, lr in NEURON_CASES:
        inputs = {
            "w": float(rng.uniform(-2, 2)),
            "b": float(rng.uniform(-1, 1)),
            "x": x,
            "y": y,
            "lr": lr,
        }
        cases.append(Case(", ".join(f"{k}={v:.3g}" for k, v in inputs.items()), inputs))
    saturated = {"w": 2.5, "b": 0.5, "x": 3.0, "y": float(rng.uniform(0.1, 0.9)), "lr": 0.5}
    cases.append(Case("a saturated neuron, z = 8", saturated))
    # exp(750) overflows: the sigmoid must be computed stably, as the given helper does
    far = {"w": -250.0, "b": 0.0, "x": 3.0, "y": float(rng.uniform(0.1, 0.9)), "lr": 0.1}
    cases.append(Case("a neuron far in saturation, z = -750", far))
    cases.append(Case("the worked example", {"w": 0.5, "b": 0.0, "x": 2.0, "y": 1.0, "lr": 0.1}))
    for case in cases:
        case.factors = {
            "x": Factor(case.inputs["x"], "the input"),
            **batch_factors(lr=case.inputs["lr"]),
        }
    return cases


def _slope_of_loss_in_a(ref: ModuleType, case: Case) -> float:
    _, a = _neuron(case)
    return numeric_derivative(lambda a_: (a_ - case.inputs["y"]) ** 2, a)


def _slope_of_sigmoid(ref: ModuleType, case: Case) -> float:
    z, _ = _neuron(case)
    return numeric_derivative(ref.sigmoid, z)


def _step(variable: str) -> Callable[[Case], float]:
    return lambda case: case.inputs[variable]


def _b_step_after_w(ref: ModuleType, case: Case) -> float:
    i = case.inputs
    new_w = ref.descent_step(i["w"], i["b"], i["x"], i["y"], i["lr"])[0]
    return i["b"] - i["lr"] * ref.neuron_gradients(new_w, i["b"], i["x"], i["y"])[1]


# what overflows here is a sigmoid written inline: the file's own is stable
NEURON_ADVICE = (
    "math.exp(-z) overflows for a large negative z (past about -709): call the sigmoid(z) "
    "your file is given, which uses the form whose exp only sees values <= 0."
)
NEURON_LOSS = Function("neuron_loss", ARGUMENTS, neuron_cases, returns="L", advice=NEURON_ADVICE)
LOCAL_DERIVATIVES = Function(
    "local_derivatives",
    ARGUMENTS,
    neuron_cases,
    returns=("dL_da", "da_dz", "dz_dw"),
    advice=NEURON_ADVICE,
)
# the stub builds each function on the one before: a wrong da_dz fails the next two as well
NEURON_GRADIENTS = Function(
    "neuron_gradients",
    ARGUMENTS,
    neuron_cases,
    returns=("dL_dw", "dL_db"),
    uses=("local_derivatives",),
    advice=NEURON_ADVICE,
)
DESCENT_STEP = Function(
    "descent_step",
    (*ARGUMENTS, "lr"),
    neuron_cases,
    returns=("w", "b"),
    uses=("neuron_gradients",),
    advice=NEURON_ADVICE,
)

CHECKS: list[Check] = [
    NEURON_LOSS.output(
        mistakes=(
            Mistake(
                None,
                "L is (a - y) without the square: L = (a - y)**2.",
                lambda ref, c: _neuron(c)[1] - c.inputs["y"],
            ),
            Mistake(
                "wrong_variable",
                "L was computed from z instead of a = sigmoid(z): apply the sigmoid before the loss.",
                lambda ref, c: (_neuron(c)[0] - c.inputs["y"]) ** 2,
            ),
        ),
    ),
    LOCAL_DERIVATIVES.output(
        "dL_da",
        gradient=_slope_of_loss_in_a,
        mistakes=(
            Mistake(
                "wrong_variable",
                "dL/da used z where a was needed: dL/da = 2(a - y) with a = sigmoid(z).",
                lambda ref, c: 2 * (_neuron(c)[0] - c.inputs["y"]),
            ),
        ),
    ),
    LOCAL_DERIVATIVES.output(
        "da_dz",
        gradient=_slope_of_sigmoid,
        mistakes=(
            Mistake(
                "wrong_variable",
                "da/dz was computed from z, as z(1 - z); the sigmoid's slope is a(1 - a), from the activation a = sigmoid(z).",
                lambda ref, c: _neuron(c)[0] * (1 - _neuron(c)[0]),
            ),
            Mistake(
                None,
                "da/dz is a itself; the sigmoid's slope is a(1 - a).",
                lambda ref, c: _neuron(c)[1],
            ),
        ),
    ),
    LOCAL_DERIVATIVES.output(
        "dz_dw",
        mistakes=(
            Mistake(
                "wrong_variable",
                "dz/dw is the input x that w multiplies, not w itself.",
                lambda ref, c: c.inputs["w"],
            ),
            Mistake(None, "dz/dw = x; 1 is dz/db.", lambda ref, c: 1.0),
        ),
    ),
    NEURON_GRADIENTS.output(
        "dL_dw",
        gradient=gradient_of(NEURON_LOSS, "w"),
        mistakes=(
            Mistake(
                None,
                "the sigmoid's slope a(1 - a) is missing from the product: dL/dw = 2(a - y) * a(1 - a) * x.",
                lambda ref, c: 2 * (_neuron(c)[1] - c.inputs["y"]) * c.inputs["x"],
            ),
            Mistake(
                None,
                "the last factor dz/dw = x is missing from the product: dL/dw = 2(a - y) * a(1 - a) * x.",
                lambda ref, c: (
                    2 * (_neuron(c)[1] - c.inputs["y"]) * _neuron(c)[1] * (1 - _neuron(c)[1])
                ),
            ),
            Mistake(
                "upstream_ignored",
                "the upstream factor dL/da = 2(a - y) is missing: dL/dw = dL/da * da/dz * dz/dw.",
                lambda ref, c: _neuron(c)[1] * (1 - _neuron(c)[1]) * c.inputs["x"],
            ),
            Mistake(
                "wrong_variable",
                "the sigmoid's slope was computed from z, as z(1 - z); it is a(1 - a).",
                lambda ref, c: (
                    2
                    * (_neuron(c)[1] - c.inputs["y"])
                    * _neuron(c)[0]
                    * (1 - _neuron(c)[0])
                    * c.inputs["x"]
                ),
            ),
        ),
    ),
    NEURON_GRADIENTS.output(
        "dL_db",
        gradient=gradient_of(NEURON_LOSS, "b"),
        mistakes=(
            Mistake(
                None,
                "dL/db was multiplied by x; the last factor for b is dz/db = 1.",
                lambda ref, c: ref.neuron_gradients(
                    c.inputs["w"], c.inputs["b"], c.inputs["x"], c.inputs["y"]
                )[0],
            ),
            Mistake(
                None,
                "the sigmoid's slope a(1 - a) is missing from the product: dL/db = 2(a - y) * a(1 - a).",
                lambda ref, c: 2 * (_neuron(c)[1] - c.inputs["y"]),
            ),
            Mistake(
                "upstream_ignored",
                "the upstream factor dL/da = 2(a - y) is missing: dL/db = dL/da * da/dz * dz/db, not da/dz alone.",
                lambda ref, c: _neuron(c)[1] * (1 - _neuron(c)[1]),
            ),
        ),
    ),
    DESCENT_STEP.output(
        "w",
        shown="new w",
        baseline=_step("w"),
        mistakes=(
            Mistake(
                "sign",
                "the step went uphill: w + lr * dL/dw. Descent subtracts: w - lr * dL/dw.",
                lambda ref, c: (
                    2 * c.inputs["w"]
                    - ref.descent_step(*(c.inputs[k] for k in (*ARGUMENTS, "lr")))[0]
                ),
            ),
        ),
    ),
    DESCENT_STEP.output(
        "b",
        shown="new b",
        baseline=_step("b"),
        mistakes=(
            Mistake(
                "sign",
                "the step went uphill: b + lr * dL/db. Descent subtracts: b - lr * dL/db.",
                lambda ref, c: (
                    2 * c.inputs["b"]
                    - ref.descent_step(*(c.inputs[k] for k in (*ARGUMENTS, "lr")))[1]
                ),
            ),
            Mistake(
                "wrong_variable",
                "b's gradient was taken at the new w; both gradients belong to the old point: compute dL/dw and dL/db first, then update w and b.",
                _b_step_after_w,
            ),
        ),
    ),
]
