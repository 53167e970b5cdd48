"""exercise05: a network with one hidden layer, X -> linear -> ReLU -> linear -> Y_hat, on MSE."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from grader.calls import Call, CallResult, LearnerError, Part, Ref, pick
from grader.checks.base import (
    Case,
    Check,
    Evidence,
    Mistake,
    OutputCheck,
    Verdict,
    failed_call,
)
from grader.checks.inputs import batch_factors, label, normal
from grader.checks.unchanged import ArgumentsUnchanged
from grader.judge.compare import NotNumeric, as_array, close
from grader.judge.feedback import describe_call
from grader.judge.types import type_problem
from grader.numeric import smooth_numeric_gradient, upstream_loss

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
        cases.append(Case(label(N=n, D=d, H=h, C=c), inputs, factors))
    return cases


def _with(params: dict[str, np.ndarray], key: str, value: np.ndarray) -> dict[str, np.ndarray]:
    return {**params, key: value}


def _backward_numeric(key: str):
    def gradient(ref: ModuleType, case: Case) -> np.ndarray:
        params, X = case.inputs["params"], case.inputs["X"]

        def forward(value: np.ndarray) -> np.ndarray:
            return ref.two_layer_forward(_with(params, key, value), X)[0]

        return smooth_numeric_gradient(upstream_loss(forward, case.inputs["dY_hat"]), params[key])

    return gradient


def _reference_backward(ref: ModuleType, case: Case, dY_hat: np.ndarray) -> dict[str, np.ndarray]:
    params = copy.deepcopy(case.inputs["params"])
    _, cache = ref.two_layer_forward(params, case.inputs["X"])
    return ref.two_layer_backward(params, cache, dY_hat)


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


@dataclass(frozen=True)
class BackwardCheck(OutputCheck):
    """two_layer_backward, fed the cache from the learner's own two_layer_forward. The check
    of the first key also judges the whole dict's keys (the others see their key only)."""

    @property
    def returned_part(self) -> Part:
        return None if self.part == KEYS[0] else self.part

    def calls_for(self, case: Case, id: str) -> list[Call]:
        """forward(A), forward(B), backward(the cache of A): a backward that reads a global
        left by the last forward, instead of its cache, gets B's numbers."""
        i = case.inputs
        forward = Call(f"{id}:forward", "two_layer_forward", (i["params"], i["X"]), keep=0)
        calls = [forward]
        if case.twin is not None:
            other = case.twin.inputs
            calls.append(
                Call(f"{id}:other", "two_layer_forward", (other["params"], other["X"]), keep=0)
            )
        backward = Call(
            id,
            "two_layer_backward",
            (i["params"], Ref(forward.id, 1), i["dY_hat"]),
            keep=self.returned_part,
        )
        return [*calls, backward]

    def judge_case(
        self,
        reference: ModuleType,
        case: Case,
        calls: list[Call],
        results: list[CallResult],
        oracle: bool = True,
    ) -> Verdict | None:
        results = self._narrowed(results)
        verdict = super().judge_case(reference, case, calls, results, oracle)
        if verdict is None or verdict.not_started or results[0].error is not None:
            return verdict
        Y_hat = reference.two_layer_forward(copy.deepcopy(case.inputs["params"]), case.inputs["X"])[
            0
        ]
        if close(results[0].value, Y_hat):
            return verdict
        note = (
            "\n  Note: your two_layer_forward's Y_hat is wrong on these inputs too, and backward "
            "works from its cache: fix the forward pass first."
        )
        return dataclasses.replace(verdict, message=verdict.message + note)

    def _narrowed(self, results: list[CallResult]) -> list[CallResult]:
        """The whole grads dict judged for its keys, then only this check's part of it."""
        last = results[-1]
        if self.returned_part == self.part or last.error is not None:
            return results
        grads = last.value
        if not isinstance(grads, dict):
            error = LearnerError("bad_return", "", f"returned a {type(grads).__name__}, not a dict")
        elif set(grads) != set(KEYS):
            keys = ", ".join(repr(k) for k in sorted(grads))
            error = LearnerError(
                "bad_return",
                "",
                f"returned a dict with the keys {keys}, not exactly those of params",
            )
        else:
            return [*results[:-1], dataclasses.replace(last, value=grads[self.part])]
        return [*results[:-1], dataclasses.replace(last, value=None, error=error)]


def _backward_check(key: str) -> BackwardCheck:
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
    return BackwardCheck(
        name=f"two_layer_backward.{key}",
        function="two_layer_backward",
        arguments=("params", "cache", "dY_hat"),
        make_cases=network_cases,
        part=key,
        output_name=f"grads[{key!r}]",
        shape_of_return="a dict with the keys W1, b1, W2, b2",
        expected=lambda ref, c: _reference_backward(ref, c, c.inputs["dY_hat"])[key],
        numeric=_backward_numeric(key),
        mistakes=tuple(mistakes),
    )


FLOAT64_ARRAY = np.zeros(1)  # what init_params' arrays must be: float64 ndarrays

# init_params is random: its checks test the contract (shapes, zeros, the distribution, one
# generator seeded by `seed`), never the layout of particular numbers: W1 or W2 first, and a
# draw of shape (D, H) transposed, all pass.

INIT_SIZES = (
    64,
    256,
    16,
)  # (D, H, C): fan-ins and fan-outs far apart, so each mix-up has its own ratio


@dataclass(frozen=True)
class InitCheck(Check):
    name: str
    function: str = "init_params"
    judged: tuple[str, ...] = ("W1", "W2")  # the arrays whose types this check answers for

    def cases(self, rng: np.random.Generator) -> list[Case]:
        seed = int(rng.integers(0, 2**31 - 1))
        return [Case(f"seed={seed}", {"seed": seed})]

    def calls_for(self, case: Case, id: str) -> list[Call]:
        return [Call(id, "init_params", INIT_SIZES, {"seed": case.inputs["seed"]})]

    def _params(self, evidence: Evidence) -> tuple[dict[str, np.ndarray] | None, Verdict | None]:
        calls, results = evidence.calls[0], evidence.results[0]
        failure = failed_call(self.function, results, calls)
        if failure is not None:
            return None, failure
        value = results[-1].value
        if not isinstance(value, dict) or any(key not in value for key in KEYS):
            return None, Verdict(
                False, f"{_called(calls[-1])} should return a dict with the keys W1, b1, W2, b2."
            )
        for key in self.judged:
            problem = type_problem(value[key], FLOAT64_ARRAY, key)
            if problem is not None:
                return None, Verdict(False, f"{_called(calls[-1])}: {problem}")
        try:
            return {key: as_array(value[key]) for key in KEYS}, None
        except NotNumeric:
            return None, Verdict(
                False, f"{_called(calls[-1])} returned values that are not arrays of numbers."
            )

    def judge(self, reference: ModuleType, evidence: Evidence) -> Verdict:
        params, failure = self._params(evidence)
        if failure is not None:
            return failure
        assert params is not None
        return self.judge_params(params, _called(evidence.calls[0][-1]))

    def judge_params(self, params: dict[str, np.ndarray], called: str) -> Verdict:
        raise NotImplementedError


def _called(call: Call) -> str:
    return describe_call(
        call.function, ("D", "H", "C", "seed"), (*call.args, *call.kwargs.values())
    )


def _expected_shapes() -> dict[str, tuple[int, ...]]:
    D, H, C = INIT_SIZES
    return {"W1": (H, D), "b1": (H,), "W2": (C, H), "b2": (C,)}


@dataclass(frozen=True)
class InitShapes(InitCheck):
    judged: tuple[str, ...] = KEYS

    def judge_params(self, params: dict[str, np.ndarray], called: str) -> Verdict:
        for key, shape in _expected_shapes().items():
            value = params[key]
            if value.shape != shape:
                hint = (
                    " (transposed: W has shape (fan_out, fan_in), as in nn.Linear)"
                    if value.shape == shape[::-1]
                    else ""
                )
                return Verdict(
                    False,
                    f"{called}: {key} has shape {value.shape}, expected {shape}{hint}.",
                    "transposed" if hint else None,
                )
        for key in ("b1", "b2"):
            if np.any(params[key] != 0):
                return Verdict(
                    False,
                    f"{called}: {key} should start at zero (np.zeros); only the weights are random.",
                )
        return Verdict(True, "shapes, dtype and zero biases are right.")


@dataclass(frozen=True)
class InitHeStd(InitCheck):
    # With 4096 or more draws these bounds are 7 or more standard errors wide: a correct
    # init never fails them, while every mix-up below lands far outside.
    std_tolerance: float = 0.08
    kurtosis_tolerance: float = 0.7

    def judge_params(self, params: dict[str, np.ndarray], called: str) -> Verdict:
        D, H, C = INIT_SIZES
        for key, fan_in, fan_out in (("W1", D, H), ("W2", H, C)):
            if params[key].shape != _expected_shapes()[key]:
                return Verdict(
                    False, f"{called}: {key} has the wrong shape; see init_params.shapes."
                )
            verdict = self._judge_weights(key, params[key].ravel(), fan_in, fan_out, called)
            if verdict is not None:
                return verdict
        return Verdict(True, "W1 and W2 look like draws from N(0, 2 / fan_in).")

    def _judge_weights(
        self, key: str, w: np.ndarray, fan_in: int, fan_out: int, called: str
    ) -> Verdict | None:
        target = np.sqrt(2.0 / fan_in)
        std = float(w.std())
        if abs(std / target - 1) > self.std_tolerance:
            return Verdict(
                False,
                f"{called}: {key} has standard deviation {std:.4g}; He initialization gives "
                f"sqrt(2 / fan_in) = sqrt(2 / {fan_in}) = {target:.4g}. {_std_mistake(std, fan_in, fan_out)}",
                "scaled",
            )
        if abs(float(w.mean())) > 7 * target / np.sqrt(w.size):
            return Verdict(
                False,
                f"{called}: {key} has mean {w.mean():.4g}; the weights should be centred on 0.",
            )
        kurtosis = float(np.mean((w - w.mean()) ** 4) / std**4)
        if abs(kurtosis - 3.0) > self.kurtosis_tolerance:
            return Verdict(
                False,
                f"{called}: {key} does not look normally distributed (kurtosis {kurtosis:.2f}, a normal "
                "has 3): draw with rng.normal(0.0, std, size=shape), not rng.uniform.",
            )
        return None


def _std_mistake(std: float, fan_in: int, fan_out: int) -> str:
    candidates = {
        "You used fan_out where fan_in belongs.": np.sqrt(2.0 / fan_out),
        "That is sqrt(1 / fan_in) (Xavier/LeCun); He uses 2 / fan_in for ReLU layers.": np.sqrt(
            1.0 / fan_in
        ),
        "You passed the variance 2 / fan_in as the standard deviation: take its square root.": 2.0
        / fan_in,
        "That is Glorot's sqrt(2 / (fan_in + fan_out)); He uses fan_in alone.": np.sqrt(
            2.0 / (fan_in + fan_out)
        ),
        "That is a standard normal: scale it by sqrt(2 / fan_in).": 1.0,
    }
    for sentence, value in candidates.items():
        if abs(std / value - 1) < 0.08:
            return sentence
    return ""


@dataclass(frozen=True)
class InitSeed(InitCheck):
    def calls_for(self, case: Case, id: str) -> list[Call]:
        seed = case.inputs["seed"]
        return [
            Call(f"{id}:a", "init_params", INIT_SIZES, {"seed": seed}),
            Call(f"{id}:b", "init_params", INIT_SIZES, {"seed": seed}),
            Call(id, "init_params", INIT_SIZES, {"seed": seed + 1}),
        ]

    def judge(self, reference: ModuleType, evidence: Evidence) -> Verdict:
        calls, results = evidence.calls[0], evidence.results[0]
        failure = failed_call(self.function, results, calls)
        if failure is not None:
            return failure
        first, again, other = (r.value for r in results)
        try:
            same = all(np.array_equal(pick(first, k), pick(again, k)) for k in KEYS)
            differs = any(not np.array_equal(pick(first, k), pick(other, k)) for k in ("W1", "W2"))
        except LookupError:
            return Verdict(
                False, f"{_called(calls[0])} should return a dict with the keys W1, b1, W2, b2."
            )
        seed = calls[0].kwargs["seed"]
        if not same:
            return Verdict(
                False,
                f"init_params(..., seed={seed}) gave different weights on two calls: make the generator inside init_params with np.random.default_rng(seed) and draw only from it.",
            )
        if not differs:
            return Verdict(
                False,
                f"seed={seed} and seed={seed + 1} gave the same weights: pass seed to np.random.default_rng(seed).",
            )
        problem = _stream_problem(first, seed)
        if problem is not None:
            return Verdict(False, f"init_params(..., seed={seed}): {problem}")
        return Verdict(
            True,
            "the same seed gives the same params, another seed others, all from one generator.",
        )


def _stream_problem(params: dict[str, Any], seed: int) -> str | None:
    """Whether W1 and W2 are the draws of one np.random.default_rng(seed), in either order and
    any layout (a draw of shape (D, H) then .T is the same numbers), at any scale (the std is
    init_params.he_std's business); in words when they are not."""
    D, H, C = INIT_SIZES
    try:
        w1, w2 = (np.sort(as_array(params[k]).ravel()) for k in ("W1", "W2"))
    except (NotNumeric, KeyError):
        return None  # init_params.shapes says what is wrong
    if w1.size != H * D or w2.size != C * H:
        return None
    # biases drawn from the generator too (a mistake of their own) may sit between W1 and W2
    slack = H + C
    stream = np.random.default_rng(seed).standard_normal(H * D + C * H + slack)

    def drawn(values: np.ndarray, start: int, draws: np.ndarray = stream) -> bool:
        segment = np.sort(draws[start : start + values.size])
        return segment.size == values.size and _proportional(values, segment)

    def after(values: np.ndarray, first: int) -> bool:
        return any(drawn(values, first + gap) for gap in range(slack + 1))

    if (drawn(w1, 0) and after(w2, H * D)) or (drawn(w2, 0) and after(w1, C * H)):
        return None
    if drawn(w1, 0) and drawn(w2, 0):
        return (
            "W2 repeats the first numbers W1 was drawn from: each came from a fresh "
            "np.random.default_rng(seed). Make the generator once, rng = "
            "np.random.default_rng(seed), and draw W1, then W2, from it."
        )
    legacy = np.random.RandomState(seed).standard_normal(H * D + C * H)
    if drawn(w1, 0, legacy) or drawn(w2, 0, legacy):
        return (
            "the weights come from NumPy's global generator (np.random.seed with "
            "np.random.randn or np.random.normal); draw them from rng = "
            "np.random.default_rng(seed) with rng.normal(0.0, std, size=shape)."
        )
    return (
        "W1 and W2 are not the draws of np.random.default_rng(seed): make one generator, "
        "rng = np.random.default_rng(seed), and draw W1, then W2, with "
        "rng.normal(0.0, std, size=shape)."
    )


def _proportional(values: np.ndarray, draws: np.ndarray) -> bool:
    """values = k * draws for some k > 0 (both sorted)."""
    k = float(values @ draws) / float(draws @ draws)
    return k > 0 and close(values, k * draws)


def _step_baseline(case: Case) -> dict[str, np.ndarray]:
    return case.inputs["params"]


def _reference_train_step(ref: ModuleType, case: Case) -> tuple[dict[str, np.ndarray], float]:
    i = copy.deepcopy(case.inputs)
    return ref.train_step(i["params"], i["X"], i["Y"], i["lr"])


def _loss_after_step(ref: ModuleType, case: Case) -> float:
    new_params, _ = _reference_train_step(ref, case)
    Y_hat = ref.two_layer_forward(new_params, case.inputs["X"])[0]
    return float(np.mean((Y_hat - case.inputs["Y"]) ** 2))


TRAIN = dict(
    function="train_step",
    arguments=("params", "X", "Y", "lr"),
    make_cases=network_cases,
    shape_of_return="a tuple (new_params, loss)",
)

CHECKS: list[Check] = [
    InitShapes("init_params.shapes"),
    InitHeStd("init_params.he_std"),
    InitSeed("init_params.seed"),
    OutputCheck(
        name="two_layer_forward",
        function="two_layer_forward",
        arguments=("params", "X"),
        make_cases=network_cases,
        keep=0,  # the cache stays with the learner's code; only Y_hat comes back
        expected=lambda ref, c: ref.two_layer_forward(
            copy.deepcopy(c.inputs["params"]), c.inputs["X"]
        )[0],
        output_name="Y_hat",
        shape_of_return="a tuple (Y_hat, cache)",
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
    OutputCheck(
        name="sgd_step",
        function="sgd_step",
        arguments=("params", "grads", "lr"),
        make_cases=network_cases,
        output_name="new_params",
        baseline=_step_baseline,
    ),
    OutputCheck(
        name="train_step.params",
        part=0,
        output_name="new_params",
        expected=lambda ref, c: _reference_train_step(ref, c)[0],
        baseline=_step_baseline,
        **TRAIN,
    ),
    OutputCheck(
        name="train_step.loss",
        part=1,
        output_name="loss",
        expected=lambda ref, c: _reference_train_step(ref, c)[1],
        mistakes=(
            Mistake(
                None,
                "that is the loss after the update; return the loss computed before sgd_step.",
                _loss_after_step,
            ),
        ),
        **TRAIN,
    ),
    ArgumentsUnchanged(
        arguments={
            "init_params": ("D", "H", "C", "seed"),
            "two_layer_forward": ("params", "X"),
            "two_layer_backward": ("params", "cache", "dY_hat"),
            "sgd_step": ("params", "grads", "lr"),
            "train_step": ("params", "X", "Y", "lr"),
        }
    ),
]
