"""Bug: relu is written as a leaky ReLU (0.01*Z for negative Z), copied from a tutorial."""

import numpy as np


def sigmoid(Z):
    e = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_backward(dA, Z):
    s = sigmoid(Z)
    return dA * s * (1 - s)


def relu(Z):
    return np.where(Z > 0, Z, 0.01 * Z)


def relu_backward(dA, Z):
    dZ = dA.copy()
    dZ[Z <= 0] = 0
    return dZ


def tanh_backward(dA, Z):
    return dA * (1 - np.tanh(Z) ** 2)
