"""exercise03: a linear layer, Z = X @ W.T + b, and its backward pass."""

from __future__ import annotations

import numpy as np

from grader.checks.base import Case, Check, Mistake
from grader.checks.inputs import batch_factors, case_label, normal
from grader.checks.spec import Function, arguments_unchanged, gradient_of

# (N, D_in, D_out): all different, N = 1, more, all equal (W square, so a transpose fits),
# and the worked example's
SIZES = [(3, 5, 4), (1, 3, 2), (6, 2, 3), (4, 7, 5), (4, 4, 4), (2, 3, 2)]


def linear_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for n, d_in, d_out in SIZES:
        inputs = {
            "X": normal(rng, n, d_in),
            "W": normal(rng, d_out, d_in),
            "b": normal(rng, d_out),
            "dZ": normal(rng, n, d_out),
        }
        factors = batch_factors(N=n, D_in=d_in, D_out=d_out)
        cases.append(Case(case_label(N=n, D_in=d_in, D_out=d_out), inputs, factors))
    return cases


FORWARD = Function("linear_forward", ("X", "W", "b"), linear_cases, returns="Z")
BACKWARD = Function("linear_backward", ("dZ", "X", "W"), linear_cases, returns=("dX", "dW", "db"))


CHECKS: list[Check] = [
    FORWARD.output(
        mistakes=(
            Mistake(
                None,
                "the bias b is missing: Z = X @ W.T + b.",
                lambda ref, c: c.inputs["X"] @ c.inputs["W"].T,
            ),
            Mistake(
                "transposed",
                "you computed W @ X.T + b[:, None], one column per example; compute X @ W.T + b so that each row is one example.",
                lambda ref, c: c.inputs["W"] @ c.inputs["X"].T + c.inputs["b"][:, None],
            ),
        ),
    ),
    BACKWARD.output("dX", gradient=gradient_of(FORWARD, "X", upstream="dZ")),
    BACKWARD.output(
        "dW",
        gradient=gradient_of(FORWARD, "W", upstream="dZ"),
        mistakes=(
            Mistake(
                "scaled",
                "dW was divided by N. A layer's backward never averages over the batch: the 1/N "
                "already lives in the loss, and so in dZ.",
                lambda ref, c: c.inputs["dZ"].T @ c.inputs["X"] / c.inputs["X"].shape[0],
            ),
        ),
    ),
    BACKWARD.output(
        "db",
        gradient=gradient_of(FORWARD, "b", upstream="dZ"),
        mistakes=(
            Mistake(
                "scaled",
                "db is the mean of dZ over the batch; it should be the sum, dZ.sum(axis=0). "
                "The 1/N already lives in the loss.",
                lambda ref, c: c.inputs["dZ"].mean(axis=0),
            ),
            Mistake(
                "batch_sum",
                "db was summed over axis 1 (one number per example); the bias is shared by the "
                "batch, so sum over axis 0: dZ.sum(axis=0).",
                lambda ref, c: c.inputs["dZ"].sum(axis=1),
            ),
            Mistake(
                "batch_sum",
                "db is dZ itself; b was added to every example, so add up the rows: dZ.sum(axis=0).",
                lambda ref, c: c.inputs["dZ"],
            ),
            Mistake(
                "batch_sum",
                "db was summed over every element into one number; sum over the batch only: "
                "dZ.sum(axis=0), shape (D_out,).",
                lambda ref, c: c.inputs["dZ"].sum(),
            ),
        ),
    ),
    arguments_unchanged(FORWARD, BACKWARD),
]
