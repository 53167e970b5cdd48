"""Correct: sigmoid split by sign with boolean-mask assignment into a fresh array, ReLU by multiplying with a mask."""

import numpy as np


def sigmoid(Z):
    Z = np.asarray(Z, dtype=np.float64)
    out = np.empty_like(Z)
    pos = Z >= 0
    neg = ~pos
    out[pos] = 1.0 / (1.0 + np.exp(-Z[pos]))
    ez = np.exp(Z[neg])
    out[neg] = ez / (1.0 + ez)
    return out


def sigmoid_backward(dA, Z):
    s = sigmoid(Z)
    return dA * (s - s * s)


def relu(Z):
    return Z * (Z > 0)


def relu_backward(dA, Z):
    dZ = np.zeros_like(dA)
    mask = Z > 0
    dZ[mask] = dA[mask]
    return dZ


def tanh_backward(dA, Z):
    return dA - dA * np.tanh(Z) ** 2
