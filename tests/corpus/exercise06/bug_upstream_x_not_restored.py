"""Reference solution, exercise 06: gradient checking.

Central differences, one element at a time: dL/dx[i] ~ (f(x + h e_i) - f(x - h e_i)) / (2h),
exact up to rounding on a quadratic, with an error of O(h**2) elsewhere. x is perturbed in
place and each saved value put back, so x holds exactly its original values at the end. A
backward given the upstream dout computes the gradient of sum(f(x) * dout). rel_error is the
largest abs(a - b) / max(1e-8, abs(a) + abs(b)); gradcheck holds every other input fixed.
"""

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def numeric_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """The numeric gradient of a scalar function f at x, by central differences.

    Inputs:
    - f: a function of one float64 array shaped like x, returning a float
    - x: the point, an array of any shape (you may perturb it in place; restore it exactly)
    - h: the step

    Returns:
    - grad: shaped like x, grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2h)
    """
    grad = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        saved = x[i]
        x[i] = saved + h
        f_plus = float(f(x))
        x[i] = saved - h
        f_minus = float(f(x))
        x[i] = saved  # the saved value itself: adding and subtracting h leaves rounding behind
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def numeric_gradient_upstream(
    f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, dout: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """The numeric gradient of sum(f(x) * dout) with respect to x: what a backward pass given
    the upstream gradient dout must return.

    Inputs:
    - f: a function of one float64 array shaped like x, returning an array shaped like dout
      (possibly a view of its argument)
    - x: the point, an array of any shape
    - dout: the upstream gradient, shaped like f(x)
    - h: the step

    Returns:
    - grad: shaped like x
    """
    grad = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = float(np.sum(f(x) * dout))
        x[i] = old - h
        minus = float(np.sum(f(x) * dout))
        grad[i] = (plus - minus) / (2 * h)
    return grad


def rel_error(a: Any, b: Any) -> float:
    """The largest elementwise relative error between a and b, two arrays of one shape (or
    scalars): abs(a - b) / max(1e-8, abs(a) + abs(b)), 0.0 where both are zero.

    Inputs:
    - a, b: arrays of one shape, or scalars

    Returns:
    - a float
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def gradcheck(
    forward: Callable[..., np.ndarray],
    backward: Callable[..., Any],
    inputs: Sequence[np.ndarray],
    dout: np.ndarray,
    h: float = 1e-5,
) -> tuple[float, ...]:
    """Checks a backward pass against numeric gradients of its forward pass.

    Inputs:
    - forward: forward(*inputs) returns an array shaped like dout
    - backward: backward(dout, *inputs) returns one gradient per input (a tuple or a list;
      with one input, the array itself or a 1-tuple)
    - inputs: the forward pass's inputs, a sequence of arrays (left unchanged)
    - dout: the upstream gradient
    - h: the step

    Returns:
    - a tuple of floats, one per input: rel_error between backward's gradient for that input
      and the numeric gradient of sum(forward(*inputs) * dout) with respect to it
    """
    grads = backward(dout, *inputs)
    if len(inputs) == 1 and isinstance(grads, np.ndarray):
        grads = (grads,)
    errors = []
    for i, x in enumerate(inputs):
        point = np.array(x, dtype=np.float64)  # a copy: the caller's inputs stay as they are

        def f(v: np.ndarray, i: int = i) -> np.ndarray:
            return forward(*inputs[:i], v, *inputs[i + 1 :])

        numeric = numeric_gradient_upstream(f, point, dout, h)
        errors.append(rel_error(grads[i], numeric))
    return tuple(errors)
