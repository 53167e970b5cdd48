"""Bug: dz/dw is returned as w (the variable) instead of x (its coefficient)."""

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
    dz_dw = w
    return dL_da, da_dz, dz_dw


def neuron_gradients(w, b, x, y):
    z = w * x + b
    a = sigmoid(z)
    dL_da = 2 * (a - y)
    da_dz = a * (1 - a)
    return dL_da * da_dz * x, dL_da * da_dz


def descent_step(w, b, x, y, lr):
    dL_dw, dL_db = neuron_gradients(w, b, x, y)
    return w - lr * dL_dw, b - lr * dL_db
