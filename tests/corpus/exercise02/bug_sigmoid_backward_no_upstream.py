"""Bug: sigmoid_backward returns the local slope s*(1-s) without multiplying by the upstream dA."""

import numpy as np


def sigmoid(Z):
    e = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_backward(dA, Z):
    s = sigmoid(Z)
    return s * (1 - s)


def relu(Z):
    return np.maximum(Z, 0)


def relu_backward(dA, Z):
    dZ = dA.copy()
    dZ[Z <= 0] = 0
    return dZ


def tanh_backward(dA, Z):
    return dA * (1 - np.tanh(Z) ** 2)
