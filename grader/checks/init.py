"""Checks of a random initialization, by its contract, never by particular numbers.

An init function draws its weights from one generator seeded by `seed`, with a standard
deviation the scheme fixes, and starts its biases at zero. These checks test exactly that
(shapes and dtype, zero biases, the distribution, one seeded generator), so a learner who
draws W2 before W1, or a (fan_in, fan_out) array and transposes it, passes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from grader.calls import Call, pick
from grader.checks.base import Case, Check, Evidence, Verdict, failed_call
from grader.judge.compare import NotNumeric, as_array, close
from grader.judge.feedback import describe_call
from grader.judge.types import type_problem

FLOAT64_ARRAY = np.zeros(1)  # what every initialized array must be: a float64 ndarray


@dataclass(frozen=True)
class Initialization:
    """What an init function makes: the arrays of its dict and their shapes, in order, and
    each weight's (name, fan_in, fan_out); every other array is a bias. It is called with
    `sizes` as its positional arguments and `seed` as a keyword."""

    function: str
    arguments: tuple[str, ...]  # the sizes' names, then "seed"
    sizes: tuple[int, ...]
    shapes: tuple[tuple[str, tuple[int, ...]], ...]
    weights: tuple[tuple[str, int, int], ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.shapes)

    @property
    def weight_keys(self) -> tuple[str, ...]:
        return tuple(key for key, _, _ in self.weights)

    @property
    def bias_keys(self) -> tuple[str, ...]:
        return tuple(key for key in self.keys if key not in self.weight_keys)

    def call(self, id: str, seed: int) -> Call:
        return Call(id, self.function, self.sizes, {"seed": seed})

    def called(self, call: Call) -> str:
        return describe_call(call.function, self.arguments, (*call.args, *call.kwargs.values()))

    @property
    def returns(self) -> str:
        return f"should return a dict with the keys {', '.join(self.keys)}."


@dataclass(frozen=True)
class InitCheck(Check):
    """One call with a fresh seed; the returned arrays judged by `judge_params`."""

    name: str
    init: Initialization
    function: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "function", self.init.function)

    @property
    def judged(self) -> tuple[str, ...]:
        """The arrays whose types this check answers for."""
        return self.init.weight_keys

    def cases(self, rng: np.random.Generator) -> list[Case]:
        seed = int(rng.integers(0, 2**31 - 1))
        return [Case(f"seed={seed}", {"seed": seed})]

    def calls_for(self, case: Case, id: str) -> list[Call]:
        return [self.init.call(id, case.inputs["seed"])]

    def _params(self, evidence: Evidence) -> tuple[dict[str, np.ndarray] | None, Verdict | None]:
        calls, results = evidence.calls[0], evidence.results[0]
        failure = failed_call(self.function, results, calls)
        if failure is not None:
            return None, failure
        called = self.init.called(calls[-1])
        value = results[-1].value
        if not isinstance(value, dict) or any(key not in value for key in self.init.keys):
            return None, Verdict(False, f"{called} {self.init.returns}")
        for key in self.judged:
            problem = type_problem(value[key], FLOAT64_ARRAY, key)
            if problem is not None:
                return None, Verdict(False, f"{called}: {problem}")
        try:
            return {key: as_array(value[key]) for key in self.init.keys}, None
        except NotNumeric:
            return None, Verdict(False, f"{called} returned values that are not arrays of numbers.")

    def judge(self, reference: ModuleType, evidence: Evidence) -> Verdict:
        params, failure = self._params(evidence)
        if params is None:
            assert failure is not None
            return failure
        return self.judge_params(params, self.init.called(evidence.calls[0][-1]))

    def judge_params(self, params: dict[str, np.ndarray], called: str) -> Verdict:
        raise NotImplementedError


@dataclass(frozen=True)
class InitShapes(InitCheck):
    """Every array's shape and dtype, and zero biases."""

    @property
    def judged(self) -> tuple[str, ...]:
        return self.init.keys

    def judge_params(self, params: dict[str, np.ndarray], called: str) -> Verdict:
        for key, shape in self.init.shapes:
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
        for key in self.init.bias_keys:
            if np.any(params[key] != 0):
                return Verdict(
                    False,
                    f"{called}: {key} should start at zero (np.zeros); only the weights are "
                    "random.",
                )
        return Verdict(True, "shapes, dtype and zero biases are right.")


@dataclass(frozen=True)
class InitHeStd(InitCheck):
    """Weights drawn from N(0, 2 / fan_in), by their standard deviation, mean and kurtosis.

    With 4096 or more draws the default bounds are 7 or more standard errors wide: a correct
    init never fails them, while every mix-up of `_std_mistake` lands far outside."""

    std_tolerance: float = 0.08
    kurtosis_tolerance: float = 0.7

    def judge_params(self, params: dict[str, np.ndarray], called: str) -> Verdict:
        shapes = dict(self.init.shapes)
        for key, fan_in, fan_out in self.init.weights:
            if params[key].shape != shapes[key]:
                return Verdict(
                    False,
                    f"{called}: {key} has the wrong shape; see {self.function}.shapes.",
                )
            verdict = self._judge_weights(key, params[key].ravel(), fan_in, fan_out, called)
            if verdict is not None:
                return verdict
        weights = " and ".join(self.init.weight_keys)
        return Verdict(True, f"{weights} look like draws from N(0, 2 / fan_in).")

    def _judge_weights(
        self, key: str, w: np.ndarray, fan_in: int, fan_out: int, called: str
    ) -> Verdict | None:
        target = np.sqrt(2.0 / fan_in)
        std = float(w.std())
        if abs(std / target - 1) > self.std_tolerance:
            return Verdict(
                False,
                f"{called}: {key} has standard deviation {std:.4g}; He initialization gives "
                f"sqrt(2 / fan_in) = sqrt(2 / {fan_in}) = {target:.4g}. "
                + _std_mistake(std, fan_in, fan_out),
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
                f"{called}: {key} does not look normally distributed (kurtosis "
                f"{kurtosis:.2f}, a normal has 3): draw with rng.normal(0.0, std, size=shape), "
                "not rng.uniform.",
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
    """The same seed gives the same arrays, another seed others, all from one generator
    (two weights, drawn in either order)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.init.weights) != 2:
            raise ValueError("InitSeed judges the draws of exactly two weights")

    def calls_for(self, case: Case, id: str) -> list[Call]:
        seed = case.inputs["seed"]
        return [
            self.init.call(f"{id}:a", seed),
            self.init.call(f"{id}:b", seed),
            self.init.call(id, seed + 1),
        ]

    def judge(self, reference: ModuleType, evidence: Evidence) -> Verdict:
        calls, results = evidence.calls[0], evidence.results[0]
        failure = failed_call(self.function, results, calls)
        if failure is not None:
            return failure
        first, again, other = (r.value for r in results)
        try:
            same = all(np.array_equal(pick(first, k), pick(again, k)) for k in self.init.keys)
            differs = any(
                not np.array_equal(pick(first, k), pick(other, k)) for k in self.init.weight_keys
            )
        except LookupError:
            return Verdict(False, f"{self.init.called(calls[0])} {self.init.returns}")
        seed = calls[0].kwargs["seed"]
        if not same:
            return Verdict(
                False,
                f"{self.function}(..., seed={seed}) gave different weights on two calls: make "
                f"the generator inside {self.function} with np.random.default_rng(seed) and "
                "draw only from it.",
            )
        if not differs:
            return Verdict(
                False,
                f"seed={seed} and seed={seed + 1} gave the same weights: pass seed to "
                "np.random.default_rng(seed).",
            )
        problem = self._stream_problem(first, seed)
        if problem is not None:
            return Verdict(False, f"{self.function}(..., seed={seed}): {problem}")
        return Verdict(
            True,
            "the same seed gives the same params, another seed others, all from one generator.",
        )

    def _stream_problem(self, params: dict[str, Any], seed: int) -> str | None:
        """Whether the two weights are the draws of one np.random.default_rng(seed), in either
        order and any layout (a draw of shape (D, H) then .T is the same numbers), at any scale
        (the std is another check's business); in words when they are not."""
        (a, a_size), (b, b_size) = (
            (key, math.prod(dict(self.init.shapes)[key])) for key in self.init.weight_keys
        )
        try:
            w1, w2 = (np.sort(as_array(params[k]).ravel()) for k in (a, b))
        except (NotNumeric, KeyError):
            return None  # the shapes check says what is wrong
        if w1.size != a_size or w2.size != b_size:
            return None
        # biases drawn from the generator too (a mistake of their own) may sit between them
        slack = sum(
            math.prod(shape) for key, shape in self.init.shapes if key in self.init.bias_keys
        )
        stream = np.random.default_rng(seed).standard_normal(a_size + b_size + slack)

        def drawn(values: np.ndarray, start: int, draws: np.ndarray = stream) -> bool:
            segment = np.sort(draws[start : start + values.size])
            return segment.size == values.size and _proportional(values, segment)

        def after(values: np.ndarray, first: int) -> bool:
            return any(drawn(values, first + gap) for gap in range(slack + 1))

        if (drawn(w1, 0) and after(w2, a_size)) or (drawn(w2, 0) and after(w1, b_size)):
            return None
        if drawn(w1, 0) and drawn(w2, 0):
            return (
                f"{b} repeats the first numbers {a} was drawn from: each came from a fresh "
                "np.random.default_rng(seed). Make the generator once, rng = "
                f"np.random.default_rng(seed), and draw {a}, then {b}, from it."
            )
        legacy = np.random.RandomState(seed).standard_normal(a_size + b_size)
        if drawn(w1, 0, legacy) or drawn(w2, 0, legacy):
            return (
                "the weights come from NumPy's global generator (np.random.seed with "
                "np.random.randn or np.random.normal); draw them from rng = "
                "np.random.default_rng(seed) with rng.normal(0.0, std, size=shape)."
            )
        return (
            f"{a} and {b} are not the draws of np.random.default_rng(seed): make one generator, "
            f"rng = np.random.default_rng(seed), and draw {a}, then {b}, with "
            "rng.normal(0.0, std, size=shape)."
        )


def _proportional(values: np.ndarray, draws: np.ndarray) -> bool:
    """values = k * draws for some k > 0 (both sorted)."""
    k = float(values @ draws) / float(draws @ draws)
    return k > 0 and close(values, k * draws)
