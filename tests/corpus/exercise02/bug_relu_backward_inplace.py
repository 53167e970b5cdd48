"""Bug: relu_backward zeroes entries of the caller's dA in place instead of working on a copy."""

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
    dA[Z <= 0] = 0
    return dA


def tanh_backward(dA, Z):
    return dA * (1 - np.tanh(Z) ** 2)
