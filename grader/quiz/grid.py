"""Proving a numeric question over every variant it can have, not over a sample.

A param drawn from a range is rounded to 2 decimals (`variants.draw_param`), so each param
takes finitely many values and a question has a finite grid of variants: the product of its
params' values, the ends of every range included. `prove` evaluates the answer and each known
mistake at every point of that grid at once (NumPy, `evaluate_many`) and refuses
the question when:

- a range rounds to a single value (every learner would see the same number);
- the grid is larger than MAX_GRID_POINTS (it could not be proven in reasonable time);
- the answer has no finite value, or underflows, at some point (`quiz take`, grading and the
  exports would meet it there);
- the question has params but one number scores full marks in every variant: an answer that
  never changes (`x - x + 2`, `3`), or moves less than the tolerance, gives every learner the
  same number to type, so the variants are pointless;
- a known mistake comes within MISTAKE_MARGIN times the tolerance of the answer at some
  point: it would score, or nearly score, in that variant.

Each refusal names the field and the first variant, in grid order, where it happens.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from grader.quiz.expression import (
    Binary,
    Call,
    Expression,
    ExpressionError,
    Name,
    Negate,
    Number,
    evaluate,
)
from grader.quiz.grading import SLACK
from grader.quiz.models import Numeric, Param, Range
from grader.quiz.variants import format_number

MAX_GRID_POINTS = 250_000
# A known mistake must lie at least this many allowed errors from the answer, so that a
# learner who makes it and rounds the way the tolerance allows still scores 0.
MISTAKE_MARGIN = 2.0


@dataclass(frozen=True)
class Refusal:
    field: str
    message: str


def param_values(param: Param) -> list[float]:
    """Every value `draw_param` can give, in increasing order (for choices, in file order)."""
    if isinstance(param, Range):
        # round() is monotonic, so the rounded draws are every hundredth between the
        # rounded ends; + 0.0 turns -0.0 into 0.0 as draw_param does.
        low, high = round(round(param.low, 2) * 100), round(round(param.high, 2) * 100)
        return [k / 100 + 0.0 for k in range(low, high + 1)]
    return list(dict.fromkeys(float(value) for value in param.choices))


def grid_size(question: Numeric) -> int:
    return math.prod(len(param_values(p)) for p in question.params.values())


def grid(question: Numeric) -> dict[str, npt.NDArray[np.float64]]:
    """Every variant's params, as one flat array per param (one point per variant)."""
    names = list(question.params)
    if not names:
        return {}
    axes = [np.array(param_values(question.params[name])) for name in names]
    mesh = np.meshgrid(*axes, indexing="ij")
    return {name: values.ravel() for name, values in zip(names, mesh, strict=True)}


def _at(points: dict[str, npt.NDArray[np.float64]], index: int) -> dict[str, float]:
    return {name: float(values[index]) for name, values in points.items()}


def _where(params: dict[str, float]) -> str:
    return ", ".join(f"{name} = {format_number(value)}" for name, value in params.items())


def _collapsed(question: Numeric) -> Refusal | None:
    for name, param in question.params.items():
        if isinstance(param, Range) and len(param_values(param)) == 1:
            value = format_number(param_values(param)[0])
            return Refusal(
                f"params.{name}",
                f"the range {format_number(param.low)} to {format_number(param.high)} rounds "
                f"to the single value {value} (draws are rounded to 2 decimals): every learner "
                f"would see {value}; widen the range or write choices = [{value}]",
            )
    return None


def prove(question: Numeric) -> Refusal | None:
    """None when the question holds in every variant; else the first thing wrong with it."""
    if refusal := _collapsed(question):
        return refusal
    size = grid_size(question)
    if size > MAX_GRID_POINTS:
        return Refusal(
            "params",
            f"{size} variants (every combination of the params' values, ranges in steps of "
            f"0.01) are more than the {MAX_GRID_POINTS} that can be proven: narrow a range or "
            "use choices",
        )
    points = grid(question)
    answer = evaluate_many(question.expression, points)
    if answer.bad.any():
        index = int(np.argmax(answer.bad.ravel()))
        return Refusal(
            "answer", _cannot(question, points, index, str(answer.reason.ravel()[index]))
        )
    expected = answer.values.ravel()
    # grading.allowed_error, at every point at once
    allowed = np.maximum(question.tolerance or 0.0, (question.rtol or 0.0) * np.abs(expected))
    slack = SLACK * np.maximum(1.0, np.abs(expected))  # as grading.within_tolerance
    if size > 1 and (refusal := _one_number_for_all(question, expected, allowed + slack)):
        return refusal
    for number, mistake in enumerate(question.mistakes):
        wrong = evaluate_many(mistake.parsed, points)
        gap = np.abs(wrong.values.ravel() - expected)
        # Where the mistake has no value, nobody can give it: those points are not judged.
        close = (gap <= MISTAKE_MARGIN * allowed + slack) & ~wrong.bad.ravel()
        if close.any():
            index = int(np.argmax(close))
            params = _at(points, index)
            accepted = gap[index] <= allowed[index] + slack[index]
            verdict = (
                "scores full marks"
                if accepted
                else f"is within {format_number(MISTAKE_MARGIN)} times the tolerance"
            )
            at = f" for {_where(params)}" if params else ""
            return Refusal(
                f"mistakes[{number}].expression",
                f"{verdict}{at}: the answer is {_shown(expected[index])}, this mistake gives "
                f"{_shown(wrong.values.ravel()[index])} and the tolerance allows "
                f"{_shown(allowed[index])}; choose params (or a tolerance) that tell them apart",
            )
    return None


def _one_number_for_all(
    question: Numeric, expected: npt.NDArray[np.float64], accepted: npt.NDArray[np.float64]
) -> Refusal | None:
    """Refuse a question with params where one number lies within the accepted band of
    every variant: each learner could type it, whatever their draw."""
    low = float(np.max(expected - accepted))
    high = float(np.min(expected + accepted))
    if low > high:
        return None
    names = ", ".join(question.params)
    if np.all(expected == expected[0]):
        return Refusal(
            "answer",
            f"the answer is {_shown(expected[0])} in every variant: the params ({names}) never "
            "change it, so every learner would be asked for the same number; make the answer "
            "depend on them, or drop the params",
        )
    return Refusal(
        "answer",
        f"{_shown((low + high) / 2)} scores full marks in every variant: the answer only moves "
        f"from {_shown(expected.min())} to {_shown(expected.max())}, within the tolerance, so "
        f"the params ({names}) give every learner the same number; widen their draws or "
        "tighten the tolerance",
    )


def _shown(value: float) -> str:
    return format_number(float(value))


def _cannot(
    question: Numeric, points: dict[str, npt.NDArray[np.float64]], index: int, why: str
) -> str:
    params = _at(points, index)
    at = f" for {_where(params)}" if params else ""
    try:
        evaluate(question.expression, params)
    except ExpressionError as error:
        why = str(error)  # the scalar evaluator says which operation, with its numbers
    return f"cannot be computed{at}: {why}"


# --- evaluating over many points at once -------------------------------------------------

_TINY = float(np.finfo(np.float64).tiny)  # the smallest normal float: below it, precision goes


@dataclass(frozen=True)
class Evaluated:
    """An expression's values at many points, and where they cannot be trusted."""

    values: npt.NDArray[np.float64]
    bad: npt.NDArray[np.bool_]  # non-finite, or a result that underflowed, on the way
    reason: npt.NDArray[np.object_]  # why, at the bad points (None elsewhere)


def evaluate_many(tree: Expression, env: Mapping[str, npt.NDArray[np.float64]]) -> Evaluated:
    """The value of `tree` at every point of `env` (arrays of one shape, one per name).

    A point is bad where any step has no finite value (a log of 0, a division by 0, an
    overflow), where a product, quotient, power or exp underflows to zero or to a subnormal
    from operands that are not zero (the answer would be 0 or lose its digits), and where a
    sigmoid or tanh rounds to exactly 1 (its slope, 1 - a, would come out exactly 0). The
    scalar `evaluate` agrees at every good point."""
    shape = next(iter(env.values())).shape if env else ()
    bad = np.zeros(shape, dtype=bool)
    reason = np.full(shape, None, dtype=object)
    with np.errstate(all="ignore"):
        values = _many(tree, env, shape, bad, reason)
        _flag(~np.isfinite(values), "the expression has no finite value", bad, reason)
    return Evaluated(np.broadcast_to(values, shape).copy(), bad, reason)


def _flag(
    where: npt.NDArray[np.bool_],
    why: str,
    bad: npt.NDArray[np.bool_],
    reason: npt.NDArray[np.object_],
) -> None:
    new = np.broadcast_to(where, bad.shape) & ~bad
    reason[new] = why
    bad |= new


def _underflowed(result: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    return np.abs(result) < _TINY


def _many(
    tree: Expression,
    env: Mapping[str, npt.NDArray[np.float64]],
    shape: tuple[int, ...],
    bad: npt.NDArray[np.bool_],
    reason: npt.NDArray[np.object_],
) -> npt.NDArray[np.float64]:
    if isinstance(tree, Number):
        return np.full(shape, tree.value)
    if isinstance(tree, Name):
        if tree.name not in env:
            raise ExpressionError(f"no value for {tree.name!r}", tree.position)
        return np.asarray(env[tree.name], dtype=np.float64)
    if isinstance(tree, Negate):
        return -_many(tree.operand, env, shape, bad, reason)
    if isinstance(tree, Binary):
        a = _many(tree.left, env, shape, bad, reason)
        b = _many(tree.right, env, shape, bad, reason)
        result = _ARRAY_BINARY[tree.symbol](a, b)
        _flag(~np.isfinite(result), f"a {_NAMES[tree.symbol]} has no finite value", bad, reason)
        if tree.symbol in ("*", "/", "**"):
            nonzero = (a != 0) & (b != 0) if tree.symbol == "*" else a != 0
            _flag(
                _underflowed(result) & nonzero,
                f"a {_NAMES[tree.symbol]} underflows to 0",
                bad,
                reason,
            )
        return result
    if isinstance(tree, Call):
        x = _many(tree.argument, env, shape, bad, reason)
        result = _ARRAY_FUNCTIONS[tree.function](x)
        _flag(~np.isfinite(result), f"{tree.function}(...) has no finite value", bad, reason)
        if tree.function in ("exp", "sigmoid"):
            _flag(_underflowed(result), f"{tree.function}(...) underflows to 0", bad, reason)
        if tree.function in ("sigmoid", "tanh"):
            _flag(
                np.abs(result) == 1.0,
                f"{tree.function}(...) rounds to exactly 1, so its slope would be 0",
                bad,
                reason,
            )
        return result
    raise TypeError(f"not an expression node: {tree!r}")


def _array_sigmoid(z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    # exp of -|z| only, so that nothing overflows, as _sigmoid does for one number.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _array_power(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    # float_power gives nan for a negative base with a fractional exponent (math.pow raises)
    # and inf for 0 to a negative power (math.pow raises): both are flagged as non-finite.
    return np.float_power(a, b)


_ARRAY_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.divide,
    "**": _array_power,
}
_NAMES = {"+": "sum", "-": "difference", "*": "product", "/": "quotient", "**": "power"}
_ARRAY_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "tanh": np.tanh,
    "sigmoid": _array_sigmoid,
}
