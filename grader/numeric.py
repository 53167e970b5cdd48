"""Finite differences: the gradient a backward function must agree with.

Small pure functions in the spirit of CS231n's gradient_check.py.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

STEP = 1e-6


def numeric_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, h: float = STEP
) -> np.ndarray:
    """Central differences of a scalar function f at x: (f(x + h) - f(x - h)) / 2h per element."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + h
        above = f(x)
        x[index] = saved - h
        below = f(x)
        x[index] = saved
        grad[index] = (above - below) / (2 * h)
    return grad


def numeric_derivative(f: Callable[[float], float], x: float, h: float = STEP) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


def upstream_loss(
    forward: Callable[[np.ndarray], np.ndarray], upstream: np.ndarray
) -> Callable[[np.ndarray], float]:
    """The scalar sum(forward(x) * upstream), whose gradient is what a backward returns."""
    return lambda x: float(np.sum(forward(x) * upstream))


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """The largest elementwise |a - b| / max(|a| + |b|, tiny), as in CS231n."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)), initial=0.0))
