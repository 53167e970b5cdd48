"""Drivers of exercise06: the functions a gradient checker is given, built from plain numbers.

numeric_gradient, numeric_gradient_upstream and gradcheck take functions, which cannot cross
from the grader to the learner's process: these drivers build them there, from a description
(`f`, `layer`) and arrays, call the learner's function with them and send back plain data: the
gradient or the figures, and how many elements of the point or the inputs were left changed.
The point is handed over as a copy, so the count is the learner's function's doing alone.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np


def scalar_function(f: dict[str, Any]) -> Callable[[np.ndarray], float]:
    """f(x) as described: its value is computed from a C-ordered copy of x, so that the same
    numbers give the same float however the learner hands them over (a view, a copy). The
    spec builds the same functions with it, for the models of known mistakes."""
    kind = f["kind"]
    if kind == "0.5 x.A.x + c.x":  # a quadratic: central differences are exact on it
        A, c = f["A"], f["c"]

        def quadratic(x: np.ndarray) -> float:
            v = np.array(x, dtype=np.float64).ravel()
            return float(0.5 * (v @ (A @ v)) + c @ v)

        return quadratic
    if kind == "sum(w * sin(x)) + sum(x**3) / 6":  # smooth, with third derivatives
        w = f["w"]

        def wavy(x: np.ndarray) -> float:
            v = np.array(x, dtype=np.float64)
            return float(np.sum(w * np.sin(v)) + np.sum(v**3) / 6)

        return wavy
    raise ValueError(f"no function of kind {kind!r}")


def _array_function(f: dict[str, Any]) -> Callable[[np.ndarray], np.ndarray]:
    kind = f["kind"]
    if kind == "x @ M":
        M = f["M"]
        return lambda x: x @ M
    if kind == "tanh(x) * g":
        g = f["g"]
        return lambda x: np.tanh(x) * g
    if kind == "x.T (a view of x)":
        return lambda x: x.T
    raise ValueError(f"no function of kind {kind!r}")


def _changed(before: np.ndarray, after: np.ndarray) -> int:
    """How many elements differ, exactly (a value off by one rounding counts)."""
    return int(np.sum(~(before == after)))


def numeric_gradient_of(
    module: ModuleType, f: dict[str, Any], x: np.ndarray, h: float | None = None
) -> tuple[np.ndarray, int]:
    """numeric_gradient(f, x) (with h=h where given): the gradient, and how many elements of x
    do not hold their original values when it returns."""
    point = np.array(x, dtype=np.float64)
    keyword = {} if h is None else {"h": h}
    grad = module.numeric_gradient(scalar_function(f), point, **keyword)
    return grad, _changed(x, point)


def numeric_gradient_upstream_of(
    module: ModuleType, f: dict[str, Any], x: np.ndarray, dout: np.ndarray
) -> tuple[np.ndarray, int]:
    """numeric_gradient_upstream(f, x, dout): the gradient, and how many elements of x were
    left changed."""
    point = np.array(x, dtype=np.float64)
    grad = module.numeric_gradient_upstream(_array_function(f), point, np.array(dout))
    return grad, _changed(x, point)


# The layers gradcheck is given, each with its forward pass, its backward pass, and backward
# passes with one planted bug each. A layer's inputs come in the order of its forward's
# arguments. None is a layer of the course's exercises (this module is handed out): the affine
# layer keeps W as (D_in, D_out), as CS231n does, not as nn.Linear and exercise03 do.


def _affine_forward(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    return X @ W + b


def _affine_backward(bug: str) -> Callable[..., Any]:
    def backward(dY: np.ndarray, X: np.ndarray, W: np.ndarray, b: np.ndarray) -> Any:
        upstream = np.ones_like(dY) if bug == "upstream ignored" else dY
        dX = upstream @ W.T
        dW = X.T @ upstream
        db = upstream.sum(axis=0)
        if bug == "dW transposed":
            dW = dW.T
        if bug == "db not summed":
            db = upstream
        return dX, dW, db

    return backward


def _sine_backward(bug: str) -> Callable[..., Any]:
    def backward(dY: np.ndarray, Z: np.ndarray) -> np.ndarray:
        slope = np.cos(Z)
        return slope if bug == "upstream ignored" else dY * slope  # one input: the array itself

    return backward


def _multiply_forward(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a * b


def _multiply_backward(bug: str) -> Callable[..., Any]:
    def backward(dY: np.ndarray, a: np.ndarray, b: np.ndarray) -> Any:
        da, db = dY * b, dY * a
        if bug == "gradients swapped":
            da, db = db, da
        return [da, db]  # a list is allowed too

    return backward


LAYERS: dict[str, tuple[Callable[..., np.ndarray], Callable[[str], Callable[..., Any]]]] = {
    "affine: X @ W + b": (_affine_forward, _affine_backward),
    "sin(Z)": (np.sin, _sine_backward),
    "a * b": (_multiply_forward, _multiply_backward),
}


def build_layer(name: str, bug: str) -> tuple[Callable[..., np.ndarray], Callable[..., Any]]:
    """The forward pass of the layer `name` and its backward pass with the planted `bug` ("none"
    for a correct one). The spec builds the same layers with it, for the models of known
    mistakes."""
    forward, backward = LAYERS[name]
    return forward, backward(bug)


def gradcheck_of(
    module: ModuleType, layer: str, bug: str, inputs: dict[str, np.ndarray], dout: np.ndarray
) -> tuple[np.ndarray, int]:
    """gradcheck(forward, backward, inputs, dout) on a layer whose backward has the planted bug
    `bug` ("none" for a correct one): its figures as an array, one per input, and how many
    elements of the inputs were left changed."""
    forward, backward = build_layer(layer, bug)
    given = tuple(np.array(value, dtype=np.float64) for value in inputs.values())
    figures = module.gradcheck(forward, backward, given, np.array(dout))
    if not isinstance(figures, tuple | list) or len(figures) != len(given):
        raise TypeError(
            f"gradcheck returned {type(figures).__name__} {figures!r:.60}; it should return a "
            f"tuple of {len(given)} floats, one per input"
        )
    values = np.array([float(figure) for figure in figures], dtype=np.float64)
    changed = sum(_changed(a, b) for a, b in zip(inputs.values(), given, strict=True))
    return values, changed
