"""Correct: 1/(1+exp(-Z)) under np.errstate(over='ignore'): finite, silent and exact."""

import numpy as np


def sigmoid(Z):
    # For Z = -1000, exp(1000) overflows to inf and 1 / (1 + inf) = 0.0: exactly the right
    # float64 answer, so the overflow is expected and silenced.
    with np.errstate(over="ignore", under="ignore"):
        return 1.0 / (1.0 + np.exp(-Z))


def sigmoid_backward(dA, Z):
    s = sigmoid(Z)
    return dA * s * (1.0 - s)


def relu(Z):
    return np.maximum(Z, 0.0)


def relu_backward(dA, Z):
    return dA * (Z > 0)


def tanh_backward(dA, Z):
    return dA * (1.0 - np.tanh(Z) ** 2)
