"""Correct: NumPy scalars with a sign-split stable sigmoid, results wrapped in float()."""

import numpy as np


def _forward(w, b, x, y):
    z = np.float64(w) * np.float64(x) + np.float64(b)
    e = np.exp(-np.abs(z))
    a = 1.0 / (1.0 + e) if z >= 0 else e / (1.0 + e)
    return z, a


def neuron_loss(w, b, x, y):
    _, a = _forward(w, b, x, y)
    return float(np.square(a - y))


def local_derivatives(w, b, x, y):
    _, a = _forward(w, b, x, y)
    return float(2.0 * (a - y)), float(a * (1.0 - a)), float(x)


def neuron_gradients(w, b, x, y):
    dL_da, da_dz, dz_dw = local_derivatives(w, b, x, y)
    upstream = dL_da * da_dz  # dL/dz, shared by w and b
    return float(upstream * dz_dw), float(upstream)


def descent_step(w, b, x, y, lr):
    grads = np.array(neuron_gradients(w, b, x, y))
    params = np.array([w, b], dtype=np.float64)
    new_w, new_b = params - lr * grads
    return float(new_w), float(new_b)
