"""Correct: sigmoid as 0.5*(1 + tanh(Z/2)) (tanh never overflows), np.where for ReLU and both slopes."""

import numpy as np


def sigmoid(Z):
    return 0.5 * (1.0 + np.tanh(0.5 * Z))


def sigmoid_backward(dA, Z):
    s = sigmoid(Z)
    local = s * (1.0 - s)
    return dA * local


def relu(Z):
    return np.where(Z > 0, Z, 0.0)


def relu_backward(dA, Z):
    return np.where(Z > 0, dA, 0.0)


def tanh_backward(dA, Z):
    t = np.tanh(Z)
    return dA * (1.0 - t) * (1.0 + t)
