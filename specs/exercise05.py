"""exercise05: a network with one hidden layer, X -> linear -> ReLU -> linear -> Y_hat, on MSE."""

from __future__ import annotations

import copy
from types import ModuleType

import numpy as np

from grader.checks.base import Case, Check, Mistake
from grader.checks.init import InitHeStd, Initialization, InitSeed, InitShapes
from grader.checks.inputs import batch_factors, case_label, normal
from grader.checks.spec import Function, arguments_unchanged, gradient_of

# (N, D, H, C): all different, N = 1, more, all equal (every matrix square), and the worked
# example's (C = 1, D = H)
SIZES = [(3, 5, 6, 4), (1, 3, 4, 2), (6, 4, 3, 5), (4, 4, 4, 4), (1, 2, 2, 1)]
KEYS = ("W1", "b1", "W2", "b2")
LEARNING_RATES = (0.3, 0.05, 0.01, 0.1, 0.02)  # one per case, so a hard-coded rate cannot pass
KINK_BIASES = (0.0, 3e-3, -3e-3)  # the ReLU's kink, and values just either side of it


def _params(rng: np.random.Generator, d: int, h: int, c: int) -> dict[str, np.ndarray]:
    return {
        "W1": normal(rng, h, d),
        "b1": normal(rng, h, scale=0.5),
        "W2": normal(rng, c, h),
        "b2": normal(rng, c, scale=0.5),
    }


def network_cases(rng: np.random.Generator) -> list[Case]:
    """Random networks whose hidden layer meets the ReLU's kink in every draw: with N >= 2 the
    first example is all zeros, so its pre-activations are b1, which holds an exact 0 and
    values just either side of it; the second example is ten times larger, so some hidden
    units reach far past 6 (where a clipped ReLU goes wrong)."""
    cases = []
    for (n, d, h, c), lr in zip(SIZES, LEARNING_RATES, strict=True):
        params, X = _params(rng, d, h, c), normal(rng, n, d)
        if n >= 2:
            X[0] = 0.0
            params["b1"][: len(KINK_BIASES)] = KINK_BIASES[:h]
            X[1] *= 10.0
        grads = _params(rng, d, h, c)
        if n == d == h == c:
            grads["b2"] = np.zeros(c)  # a zero gradient still makes a new array in the step
        inputs = {
            "params": params,
            "X": X,
            "Y": normal(rng, n, c),
            "dY_hat": normal(rng, n, c),
            "grads": grads,
            "lr": lr,
        }
        factors = batch_factors(N=n, D=d, H=h, C=c, size=n * c, lr=lr)
        cases.append(Case(case_label(N=n, D=d, H=h, C=c), inputs, factors))
    return cases


def _with(params: dict[str, np.ndarray], key: str, value: np.ndarray) -> dict[str, np.ndarray]:
    return {**params, key: value}


def _mask_alone(case: Case) -> dict[str, np.ndarray]:
    """Layer-1 gradients with dZ1 = (Z1 > 0): the slope without the upstream dA1."""
    Z1, _, _ = _hidden(case)
    dZ1 = (Z1 > 0).astype(np.float64)
    return {"W1": dZ1.T @ case.inputs["X"], "b1": dZ1.sum(axis=0)}


def _bias_summed_over_axis_1(case: Case) -> dict[str, np.ndarray]:
    _, _, dZ1 = _hidden(case)
    return {"b1": dZ1.sum(axis=1), "b2": case.inputs["dY_hat"].sum(axis=1)}


def _other_forward_backward(ref: ModuleType, case: Case) -> dict[str, np.ndarray]:
    """The gradients computed from the forward pass that ran last (the other draw's), as a
    backward that reads a global instead of its cache returns."""
    if case.twin is None:
        raise LookupError("no other forward pass ran")
    other = case.twin.inputs
    _, cache = ref.two_layer_forward(copy.deepcopy(other["params"]), other["X"])
    params = copy.deepcopy(case.inputs["params"])
    return ref.two_layer_backward(params, cache, case.inputs["dY_hat"])


def _without_relu_mask(case: Case) -> dict[str, np.ndarray]:
    """The gradients of a learner who forgot to multiply by the ReLU slope."""
    p, X, dY = case.inputs["params"], case.inputs["X"], case.inputs["dY_hat"]
    dZ1 = dY @ p["W2"]
    return {"W1": dZ1.T @ X, "b1": dZ1.sum(axis=0)}


def _hidden(case: Case) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Z1, A1 and dZ1 of the reference network on this case."""
    p, X, dY = case.inputs["params"], case.inputs["X"], case.inputs["dY_hat"]
    Z1 = X @ p["W1"].T + p["b1"]
    return Z1, np.maximum(Z1, 0.0), (dY @ p["W2"]) * (Z1 > 0)


WRONG_INPUTS = {
    "W1": Mistake(
        "wrong_variable",
        "dW1 was computed from A1, the hidden activations; the first layer's input is X: dW1 = dZ1.T @ X.",
        lambda ref, c: _hidden(c)[2].T @ _hidden(c)[1],
    ),
    "W2": Mistake(
        "wrong_variable",
        "dW2 was computed from Z1, before the ReLU; the second layer's input is A1 = relu(Z1): dW2 = dY_hat.T @ A1.",
        lambda ref, c: c.inputs["dY_hat"].T @ _hidden(c)[0],
    ),
}


def _step_baseline(case: Case) -> dict[str, np.ndarray]:
    return case.inputs["params"]


def _reference_train_step(ref: ModuleType, case: Case) -> tuple[dict[str, np.ndarray], float]:
    i = copy.deepcopy(case.inputs)
    return ref.train_step(i["params"], i["X"], i["Y"], i["lr"])


def _loss_after_step(ref: ModuleType, case: Case) -> float:
    new_params, _ = _reference_train_step(ref, case)
    Y_hat = ref.two_layer_forward(new_params, case.inputs["X"])[0]
    return float(np.mean((Y_hat - case.inputs["Y"]) ** 2))


INIT = Function("init_params", ("D", "H", "C", "seed"))
FORWARD = Function("two_layer_forward", ("params", "X"), network_cases, returns=("Y_hat", "cache"))
BACKWARD = Function(
    "two_layer_backward",
    ("params", "cache", "dY_hat"),
    network_cases,
    returns="grads",
    keys=KEYS,
    keys_like="params",
    cache_from=FORWARD,
)
SGD_STEP = Function("sgd_step", ("params", "grads", "lr"), network_cases, returns="new_params")
TRAIN_STEP = Function(
    "train_step",
    ("params", "X", "Y", "lr"),
    network_cases,
    returns=("new_params", "loss"),
    uses=("two_layer_forward", "two_layer_backward", "sgd_step"),
)

# init_params is random: its checks test the contract (shapes, zeros, the distribution, one
# generator seeded by `seed`), never the layout of particular numbers: W1 or W2 first, and a
# draw of shape (D, H) transposed, all pass. (D, H, C) = (64, 256, 16): fan-ins and fan-outs
# far apart, so each mix-up has its own ratio.
D, H, C = 64, 256, 16
INITIALIZATION = Initialization(
    INIT.name,
    INIT.arguments,
    sizes=(D, H, C),
    shapes=(("W1", (H, D)), ("b1", (H,)), ("W2", (C, H)), ("b2", (C,))),
    weights=(("W1", D, H), ("W2", H, C)),
)


def _backward_check(key: str) -> Check:
    # an ignored dY_hat is among the mistakes every function is judged for (argument_mistakes)
    mistakes = [
        Mistake(
            None,
            "these are the gradients of the last forward pass you ran, not of the cache you "
            "were given: two_layer_backward must work from its cache argument alone, never "
            "from something two_layer_forward left behind (a global, an attribute).",
            lambda ref, c: _other_forward_backward(ref, c)[key],
        )
    ]
    if key in WRONG_INPUTS:
        mistakes.append(WRONG_INPUTS[key])
    if key in ("W1", "b1"):
        mistakes.append(
            Mistake(
                None,
                "the ReLU's slope is missing: dZ1 = dA1 * (Z1 > 0) before computing the layer-1 gradients.",
                lambda ref, c: _without_relu_mask(c)[key],
            )
        )
        mistakes.append(
            Mistake(
                "upstream_ignored",
                "the ReLU's backward returned its slope (Z1 > 0) alone: multiply it by the upstream gradient, dZ1 = dA1 * (Z1 > 0).",
                lambda ref, c: _mask_alone(c)[key],
            )
        )
    if key in ("b1", "b2"):
        mistakes.append(
            Mistake(
                "batch_sum",
                f"d{key} was summed over axis 1 (one number per example); the bias is shared by the batch, so sum over axis 0.",
                lambda ref, c: _bias_summed_over_axis_1(c)[key],
            )
        )
    return BACKWARD.output(
        key,
        gradient=gradient_of(FORWARD, f"params.{key}", upstream="dY_hat", output=0),
        mistakes=tuple(mistakes),
    )


CHECKS: list[Check] = [
    InitShapes("init_params.shapes", INITIALIZATION),
    InitHeStd("init_params.he_std", INITIALIZATION),
    InitSeed("init_params.seed", INITIALIZATION),
    FORWARD.output(
        "Y_hat",  # the cache stays with the learner's code; only Y_hat comes back
        suffix="",
        mistakes=(
            Mistake(
                None,
                "the ReLU is missing between the layers: A1 = relu(Z1), then Y_hat = A1 @ W2.T + b2.",
                lambda ref, c: (
                    (c.inputs["X"] @ c.inputs["params"]["W1"].T + c.inputs["params"]["b1"])
                    @ c.inputs["params"]["W2"].T
                    + c.inputs["params"]["b2"]
                ),
            ),
            Mistake(
                None,
                "the output went through a ReLU too; the network's output layer is linear: Y_hat = A1 @ W2.T + b2.",
                lambda ref, c: np.maximum(
                    ref.two_layer_forward(c.inputs["params"], c.inputs["X"])[0], 0
                ),
            ),
        ),
    ),
    *(_backward_check(key) for key in KEYS),
    SGD_STEP.output(baseline=_step_baseline, keeps_arguments=True),
    TRAIN_STEP.output(
        "new_params",
        suffix="params",
        baseline=_step_baseline,
    ),
    TRAIN_STEP.output(
        "loss",
        mistakes=(
            Mistake(
                None,
                "that is the loss after the update; return the loss computed before sgd_step.",
                _loss_after_step,
            ),
        ),
    ),
    arguments_unchanged(INIT, FORWARD, BACKWARD, SGD_STEP, TRAIN_STEP),
]
