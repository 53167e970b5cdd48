"""exercise04: the MSE and softmax cross-entropy losses and the output error they send back."""

from __future__ import annotations

import numpy as np

from grader.checks.base import LOG_SOFTMAX_ADVICE, SOFTMAX_ADVICE, Case, Check, Mistake
from grader.checks.inputs import batch_factors, case_label, normal
from grader.checks.spec import Function, arguments_unchanged, gradient_of

# (N, C): different, N = 1, more, equal (a square, where the wrong axis fits), the worked example's
SIZES = [(3, 4), (1, 3), (5, 2), (4, 6), (3, 3), (2, 3)]
LARGE_LOGITS = np.array(
    [[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -999.0], [1000.0, 1000.0, 999.0], [0.5, -0.5, 0.0]]
)


def regression_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for n, c in SIZES:
        inputs = {"Y_hat": normal(rng, n, c), "Y": normal(rng, n, c)}
        cases.append(Case(case_label(N=n, C=c), inputs, batch_factors(N=n, C=c, size=n * c)))
    return cases


def classification_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for n, c in SIZES:
        # as many different classes as the batch allows, and a class twice once N > C
        labels = rng.permutation(np.resize(rng.permutation(c), n))
        inputs = {"logits": normal(rng, n, c, scale=2.0), "labels": labels}
        cases.append(Case(case_label(N=n, C=c), inputs, batch_factors(N=n, C=c)))
    return cases


def softmax_cases(rng: np.random.Generator) -> list[Case]:
    return [Case(c.label, {"Z": c.inputs["logits"]}, c.factors) for c in classification_cases(rng)]


def large_classification_cases(rng: np.random.Generator) -> list[Case]:
    n, c = LARGE_LOGITS.shape
    mixed = rng.choice([-1000.0, 0.0, 1000.0], size=(3, 5)) + normal(rng, 3, 5)
    return [
        Case(
            "|logits| up to 1000",
            {"logits": LARGE_LOGITS.copy(), "labels": np.array([2, 0, 1, 0])},
            batch_factors(N=n, C=c),
        ),
        Case(
            "large random logits",
            {"logits": mixed, "labels": rng.integers(0, 5, size=3)},
            batch_factors(N=3, C=5),
        ),
    ]


def large_softmax_cases(rng: np.random.Generator) -> list[Case]:
    return [Case(c.label, {"Z": c.inputs["logits"]}) for c in large_classification_cases(rng)]


def _onehot(labels: np.ndarray, classes: int) -> np.ndarray:
    return np.eye(classes)[labels]


def _exp_normalised(Z: np.ndarray, axis: int | None) -> np.ndarray:
    e = np.exp(Z - Z.max())
    return e / e.sum(axis=axis, keepdims=axis is not None)


MSE_LOSS = Function("mse_loss", ("Y_hat", "Y"), regression_cases, returns="loss")
MSE_BACKWARD = Function("mse_backward", ("Y_hat", "Y"), regression_cases, returns="dY_hat")
SOFTMAX = Function(
    "softmax", ("Z",), softmax_cases, returns="probabilities", advice=SOFTMAX_ADVICE
)
CROSS_ENTROPY = Function(
    "softmax_cross_entropy",
    ("logits", "labels"),
    classification_cases,
    returns=("loss", "dlogits"),
    uses=("softmax",),
    advice=LOG_SOFTMAX_ADVICE,
)

CHECKS: list[Check] = [
    MSE_LOSS.output(
        mistakes=(
            Mistake(
                "scaled",
                "you divided by N, the batch size; the loss is the mean over all N * C elements, so divide by Y.size (or use np.mean).",
                lambda ref, c: (
                    np.sum((c.inputs["Y_hat"] - c.inputs["Y"]) ** 2) / c.inputs["Y"].shape[0]
                ),
            ),
            Mistake(
                "batch_sum",
                "you averaged over axis 0 only, which leaves one number per column; the loss is one number, the mean over every element.",
                lambda ref, c: np.mean((c.inputs["Y_hat"] - c.inputs["Y"]) ** 2, axis=0),
            ),
            Mistake(
                "batch_sum",
                "you averaged over axis 1 only, which leaves one number per example; the loss is one number, the mean over every element.",
                lambda ref, c: np.mean((c.inputs["Y_hat"] - c.inputs["Y"]) ** 2, axis=1),
            ),
            Mistake(
                None,
                "the square is missing: mean((Y_hat - Y)**2).",
                lambda ref, c: np.mean(c.inputs["Y_hat"] - c.inputs["Y"]),
            ),
        ),
    ),
    MSE_BACKWARD.output(
        gradient=gradient_of(MSE_LOSS, "Y_hat"),
        mistakes=(
            Mistake(
                "scaled",
                "you divided by N, the batch size; the loss averages over all N * C elements, so its gradient divides by Y.size.",
                lambda ref, c: 2 * (c.inputs["Y_hat"] - c.inputs["Y"]) / c.inputs["Y"].shape[0],
            ),
        ),
    ),
    SOFTMAX.output(
        mistakes=(
            Mistake(
                "batch_sum",
                "each column sums to 1 instead of each row: normalise over the classes, axis=1 with keepdims=True.",
                lambda ref, c: _exp_normalised(c.inputs["Z"], 0),
            ),
            Mistake(
                "batch_sum",
                "you divided by the sum over the whole batch; each row (one example) must sum to 1: .sum(axis=1, keepdims=True).",
                lambda ref, c: _exp_normalised(c.inputs["Z"], None),
            ),
        ),
    ),
    SOFTMAX.output(suffix="stable", cases=large_softmax_cases, stable=True),
    CROSS_ENTROPY.output(
        "loss",
        mistakes=(
            Mistake(
                None,
                "you returned the mean probability of the right class; the loss is the mean of -log of it.",
                lambda ref, c: float(
                    np.mean(
                        ref.softmax(c.inputs["logits"])[
                            np.arange(len(c.inputs["labels"])), c.inputs["labels"]
                        ]
                    )
                ),
            ),
        ),
    ),
    CROSS_ENTROPY.output(
        "dlogits",
        gradient=gradient_of(CROSS_ENTROPY, "logits", output=0),
        mistakes=(
            Mistake(
                "scaled",
                "dlogits is missing the 1/N: the loss is a mean over the batch, so its gradient is (softmax - onehot) / N.",
                lambda ref, c: (
                    ref.softmax(c.inputs["logits"])
                    - _onehot(c.inputs["labels"], c.inputs["logits"].shape[1])
                ),
            ),
            Mistake(
                "scaled",
                "dlogits was divided by C, the number of classes; the loss is a mean over the N examples, so divide by N: (softmax - onehot) / N.",
                lambda ref, c: (
                    (
                        ref.softmax(c.inputs["logits"])
                        - _onehot(c.inputs["labels"], c.inputs["logits"].shape[1])
                    )
                    / c.inputs["logits"].shape[1]
                ),
            ),
            Mistake(
                None,
                "you returned softmax / N without subtracting the one-hot labels: dlogits = (softmax - onehot) / N.",
                lambda ref, c: ref.softmax(c.inputs["logits"]) / len(c.inputs["labels"]),
            ),
        ),
    ),
    CROSS_ENTROPY.output(suffix="stable", cases=large_classification_cases, stable=True),
    arguments_unchanged(MSE_LOSS, MSE_BACKWARD, SOFTMAX, CROSS_ENTROPY),
]
