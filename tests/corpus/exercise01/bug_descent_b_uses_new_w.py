"""Bug (subtle): the step updates w first and then computes b's gradient at the NEW w, not at the old point."""

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
    dL_db = dL_da * da_dz
    return dL_dw, dL_db


def descent_step(w, b, x, y, lr):
    w = w - lr * neuron_gradients(w, b, x, y)[0]
    b = b - lr * neuron_gradients(w, b, x, y)[1]
    return w, b
