"""Correct: functools.lru_cache on a pure helper that takes floats."""

import math
from functools import lru_cache


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@lru_cache(maxsize=1024)
def _forward(w: float, b: float, x: float) -> tuple[float, float]:
    """z and a for one neuron; pure, so caching on the float arguments is safe."""
    z = w * x + b
    return z, sigmoid(z)


def neuron_loss(w: float, b: float, x: float, y: float) -> float:
    _, a = _forward(w, b, x)
    return float((a - y) ** 2)


def local_derivatives(w: float, b: float, x: float, y: float) -> tuple[float, float, float]:
    _, a = _forward(w, b, x)
    return float(2.0 * (a - y)), float(a * (1.0 - a)), float(x)


def neuron_gradients(w: float, b: float, x: float, y: float) -> tuple[float, float]:
    dL_da, da_dz, dz_dw = local_derivatives(w, b, x, y)
    delta = dL_da * da_dz
    return float(delta * dz_dw), float(delta)


def descent_step(w: float, b: float, x: float, y: float, lr: float) -> tuple[float, float]:
    dw, db = neuron_gradients(w, b, x, y)
    return float(w - lr * dw), float(b - lr * db)
