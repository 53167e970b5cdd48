"""Bug: sigmoid is the textbook 1/(1 + np.exp(-Z)), which overflows (RuntimeWarning) at Z = -1000."""

import numpy as np


def sigmoid(Z):
    return 1 / (1 + np.exp(-Z))


def sigmoid_backward(dA, Z):
    s = sigmoid(Z)
    return dA * s * (1 - s)


def relu(Z):
    return np.maximum(Z, 0)


def relu_backward(dA, Z):
    dZ = dA.copy()
    dZ[Z <= 0] = 0
    return dZ


def tanh_backward(dA, Z):
    return dA * (1 - np.tanh(Z) ** 2)
