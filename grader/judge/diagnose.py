"""Naming the mistake behind a wrong answer.

Two sources, tried in order: the check's own models of known mistakes (what a learner who
forgot the upstream gradient would have returned on these very inputs), then detectors that
work on any array: a transpose, a constant factor, a flipped sign, a missing sum over the batch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import numpy as np

from grader.judge.compare import NotNumeric, as_array, close

Diagnosis = Literal[
    "transposed",
    "scaled",
    "sign",
    "batch_sum",
    "upstream_ignored",
    "wrong_variable",
    "argument_modified",
    "unstable",
]


@dataclass(frozen=True)
class Finding:
    tag: Diagnosis | None
    sentence: str


@dataclass(frozen=True)
class Factor:
    """A size the learner may have multiplied or divided by, e.g. N, the batch size."""

    value: float
    meaning: str


def diagnose(
    received: Any,
    expected: Any,
    *,
    name: str,
    modeled: Sequence[tuple[Finding, Any]] = (),
    factors: Mapping[str, Factor] | None = None,
    baseline: Any = None,
) -> Finding | None:
    """The first explanation that fits `received` exactly, or None.

    `modeled` pairs each known mistake with what it returns on these inputs. `baseline`, when
    given, is subtracted from both sides before looking for a factor or a sign: an update
    step is judged by its step, not by the new weights.
    """
    for finding, value in modeled:
        if close(received, value):
            return finding
    try:
        r, e = as_array(received), as_array(expected)
    except NotNumeric:
        return None
    if baseline is not None:
        b = as_array(baseline)
        if r.shape == e.shape == b.shape:
            r, e = r - b, e - b
            name = f"your step (new {name} - old)"
    return _transposed(r, e, name) or _unsummed(r, e, name) or _factor(r, e, name, factors or {})


def _transposed(r: np.ndarray, e: np.ndarray, name: str) -> Finding | None:
    if e.ndim == 2 and r.shape == e.T.shape and r.shape != e.shape and close(r, e.T):
        return Finding(
            "transposed",
            f"{name} has the right numbers but is transposed: expected shape {e.shape}, "
            f"received {r.shape}. Check the order of your matrix product (A.T @ B versus B.T @ A).",
        )
    return None


def _unsummed(r: np.ndarray, e: np.ndarray, name: str) -> Finding | None:
    if (
        r.ndim == e.ndim + 1
        and r.shape[0] == 1
        and r.size == e.size
        and close(r.reshape(e.shape), e)
    ):
        return Finding(
            None,
            f"{name} has the right numbers with an extra axis of length 1 (shape {r.shape}); "
            f"drop keepdims=True, or index [0], to return shape {e.shape}.",
        )
    if r.ndim == e.ndim + 1 and r.shape[1:] == e.shape and close(r.sum(axis=0), e):
        return Finding(
            "batch_sum",
            f"{name} keeps one row per example (shape {r.shape}); add them up over the batch "
            f"with .sum(axis=0) to get shape {e.shape}.",
        )
    return None


def _factor(
    r: np.ndarray, e: np.ndarray, name: str, factors: Mapping[str, Factor]
) -> Finding | None:
    if r.shape != e.shape or not np.isfinite(r).all() or not np.any(np.abs(e) > 1e-12):
        return None
    k = float(np.sum(r * e) / np.sum(e * e))
    if abs(k - 1.0) < 1e-9 or abs(k) < 1e-12 or not close(r, k * e):
        return None
    if abs(k + 1.0) < 1e-6:
        return Finding(
            "sign",
            f"{name} has the right size but the opposite sign. Check the order of a "
            "subtraction (Y_hat - Y, not Y - Y_hat) or a + that should be a -.",
        )
    label = _name_factor(abs(k), factors, guess=r.size >= 4)
    sign = " and the opposite sign" if k < 0 else ""
    if label is None and r.size < 4:
        return None  # any two numbers have a ratio: only a named factor explains a few of them
    if label is None:
        return Finding("scaled", f"{name} is {k:.4g} times what it should be{sign}.")
    return Finding("scaled", f"{name} is {label} times what it should be{sign}.")


def _name_factor(k: float, factors: Mapping[str, Factor], guess: bool) -> str | None:
    """Describe k as 2, 1/2, N, 1/N, 2/N, ... using the sizes of these inputs."""
    candidates: list[tuple[str, float]] = [("2", 2.0), ("1/2", 0.5)]
    for symbol, factor in factors.items():
        v = factor.value
        if v == 1:
            continue
        where = f" ({symbol} = {v:g}, {factor.meaning})"
        candidates += [
            (symbol + where, v),
            (f"1/{symbol}" + where, 1 / v),
            (f"2{symbol}" + where, 2 * v),
            (f"2/{symbol}" + where, 2 / v),
            (f"{symbol}/2" + where, v / 2),
            (f"1/(2{symbol})" + where, 1 / (2 * v)),
        ]
    for label, value in candidates:
        if abs(k - value) <= 1e-6 * value:
            return label
    if not math.isfinite(k):
        return None
    fraction = Fraction(k).limit_denominator(12)
    if guess and abs(float(fraction) - k) <= 1e-6 * k:
        return str(fraction)
    return None
