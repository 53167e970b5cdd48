"""Bug: dL/db skips the sigmoid slope (dL/da * dz/db), so b's gradient and b's step are wrong."""

import math


def sigmoid(z):
    """Given helper (not graded)."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def neuron_loss(w, b, x, y):
    z = w * x + b
    a = sigmoid(z)
    return (a - y) ** 2


def local_derivatives(w, b, x, y):
    z = w * x + b
    a = sigmoid(z)
    dL_da = 2 * (a - y)
    da_dz = a * (1 - a)
    dz_dw = x
    return dL_da, da_dz, dz_dw


def neuron_gradients(w, b, x, y):
    dL_da, da_dz, dz_dw = local_derivatives(w, b, x, y)
    dL_dw = dL_da * da_dz * dz_dw
    dz_db = 1.0
    dL_db = dL_da * dz_db
    return dL_dw, dL_db


def descent_step(w, b, x, y, lr):
    dL_dw, dL_db = neuron_gradients(w, b, x, y)
    return w - lr * dL_dw, b - lr * dL_db
