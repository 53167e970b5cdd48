"""exercise04: the MSE and softmax cross-entropy losses and the output error they send back."""

from __future__ import annotations

from types import ModuleType

import numpy as np

from grader.checks.base import Case, Check, Mistake, OutputCheck
from grader.checks.inputs import batch_factors, label, normal
from grader.checks.unchanged import ArgumentsUnchanged
from grader.numeric import smooth_numeric_gradient

# (N, C): different, N = 1, more, equal (a square, where the wrong axis fits), the worked example's
SIZES = [(3, 4), (1, 3), (5, 2), (4, 6), (3, 3), (2, 3)]
LARGE_LOGITS = np.array(
    [[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -999.0], [1000.0, 1000.0, 999.0], [0.5, -0.5, 0.0]]
)


def regression_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for n, c in SIZES:
        inputs = {"Y_hat": normal(rng, n, c), "Y": normal(rng, n, c)}
        cases.append(Case(label(N=n, C=c), inputs, batch_factors(N=n, C=c, size=n * c)))
    return cases


def classification_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for n, c in SIZES:
        # as many different classes as the batch allows, and a class twice once N > C
        labels = rng.permutation(np.resize(rng.permutation(c), n))
        inputs = {"logits": normal(rng, n, c, scale=2.0), "labels": labels}
        cases.append(Case(label(N=n, C=c), inputs, batch_factors(N=n, C=c)))
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


def _mse_numeric(ref: ModuleType, case: Case) -> np.ndarray:
    Y = case.inputs["Y"]
    return smooth_numeric_gradient(lambda Y_hat: ref.mse_loss(Y_hat, Y), case.inputs["Y_hat"])


def _ce_numeric(ref: ModuleType, case: Case) -> np.ndarray:
    labels = case.inputs["labels"]
    return smooth_numeric_gradient(
        lambda L: ref.softmax_cross_entropy(L, labels)[0], case.inputs["logits"]
    )


def _onehot(labels: np.ndarray, classes: int) -> np.ndarray:
    return np.eye(classes)[labels]


def _exp_normalised(Z: np.ndarray, axis: int | None) -> np.ndarray:
    e = np.exp(Z - Z.max())
    return e / e.sum(axis=axis, keepdims=axis is not None)


CE = dict(
    function="softmax_cross_entropy",
    arguments=("logits", "labels"),
    make_cases=classification_cases,
    shape_of_return="a tuple (loss, dlogits)",
)

CHECKS: list[Check] = [
    OutputCheck(
        name="mse_loss",
        function="mse_loss",
        arguments=("Y_hat", "Y"),
        make_cases=regression_cases,
        output_name="loss",
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
    OutputCheck(
        name="mse_backward",
        function="mse_backward",
        arguments=("Y_hat", "Y"),
        make_cases=regression_cases,
        output_name="dY_hat",
        numeric=_mse_numeric,
        mistakes=(
            Mistake(
                "scaled",
                "you divided by N, the batch size; the loss averages over all N * C elements, so its gradient divides by Y.size.",
                lambda ref, c: 2 * (c.inputs["Y_hat"] - c.inputs["Y"]) / c.inputs["Y"].shape[0],
            ),
        ),
    ),
    OutputCheck(
        name="softmax",
        function="softmax",
        arguments=("Z",),
        make_cases=softmax_cases,
        output_name="probabilities",
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
    OutputCheck(
        name="softmax.stable",
        function="softmax",
        arguments=("Z",),
        make_cases=large_softmax_cases,
        output_name="probabilities",
        stable=True,
    ),
    OutputCheck(
        name="softmax_cross_entropy.loss",
        part=0,
        output_name="loss",
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
        **CE,
    ),
    OutputCheck(
        name="softmax_cross_entropy.dlogits",
        part=1,
        output_name="dlogits",
        numeric=_ce_numeric,
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
        **CE,
    ),
    OutputCheck(
        name="softmax_cross_entropy.stable",
        stable=True,
        item_names=("loss", "dlogits"),
        **{**CE, "make_cases": large_classification_cases},
    ),
    ArgumentsUnchanged(
        arguments={
            "mse_loss": ("Y_hat", "Y"),
            "mse_backward": ("Y_hat", "Y"),
            "softmax": ("Z",),
            "softmax_cross_entropy": ("logits", "labels"),
        }
    ),
]
