"""Bug: relu_backward passes the gradient where Z >= 0, giving slope 1 at exactly Z = 0."""

import numpy as np


def sigmoid(Z):
    e = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_backward(dA, Z):
    s = sigmoid(Z)
    return dA * s * (1 - s)


def relu(Z):
    return np.maximum(Z, 0)


def relu_backward(dA, Z):
    return dA * (Z >= 0)


def tanh_backward(dA, Z):
    return dA * (1 - np.tanh(Z) ** 2)
