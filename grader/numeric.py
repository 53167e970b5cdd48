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
    return _differences(f, x, h)[0]


def smooth_numeric_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, h: float = STEP
) -> np.ndarray:
    """Central differences, with NaN where f has a kink within h of x (ReLU at 0, say).

    At a kink the two one-sided slopes disagree by far more than h * f'' and the central
    difference is their average, which no backward pass returns: such cells have no numeric
    answer, so inputs may sit exactly on a kink and still be checked everywhere else."""
    grad, forward, backward = _differences(f, x, h)
    steeper = np.maximum(np.abs(forward), np.abs(backward))
    disagree = np.abs(forward - backward) > KINK_GAP * steeper + KINK_FLOOR
    return np.where(disagree, np.nan, grad)


# Where f is smooth, one-sided slopes differ by about h * |f''| plus rounding; at a kink by the
# jump in slope, and the central difference is off by half of it. Any gap that could put the
# central difference outside the judge's numeric tolerance (1e-5 relative, 1e-6 absolute) is
# taken for a kink and the cell left unjudged: skipping a smooth cell costs nothing, judging a
# kinked one would fail a right answer.
KINK_GAP = 1e-6
KINK_FLOOR = 1e-6


def _differences(
    f: Callable[[np.ndarray], float], x: np.ndarray, h: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Central, forward and backward differences of f at x, element by element."""
    x = np.array(x, dtype=np.float64)
    centre = f(x)
    above, below = np.zeros_like(x), np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + h
        above[index] = f(x)
        x[index] = saved - h
        below[index] = f(x)
        x[index] = saved
    return (above - below) / (2 * h), (above - centre) / h, (centre - below) / h


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
