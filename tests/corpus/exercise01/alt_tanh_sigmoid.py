"""Correct: sigmoid written as 0.5*(1 + tanh(z/2)), everything inlined with no helper reuse."""

import math


def sigmoid(z):
    """Given helper (not graded); this file uses its own tanh form below."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _act(z):
    return 0.5 * (1.0 + math.tanh(0.5 * z))


def neuron_loss(w, b, x, y):
    a = _act(w * x + b)
    diff = a - y
    return diff * diff


def local_derivatives(w, b, x, y):
    a = _act(w * x + b)
    return 2.0 * (a - y), a * (1.0 - a), x


def neuron_gradients(w, b, x, y):
    a = _act(w * x + b)
    dL_dz = 2.0 * (a - y) * a * (1.0 - a)
    return dL_dz * x, dL_dz


def descent_step(w, b, x, y, lr):
    a = _act(w * x + b)
    dL_dz = 2.0 * (a - y) * a * (1.0 - a)
    w_new = w - lr * (dL_dz * x)
    b_new = b - lr * dL_dz
    return w_new, b_new
