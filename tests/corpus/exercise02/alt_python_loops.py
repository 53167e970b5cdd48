"""Correct: explicit Python loops over every element with the math module, stable by branching on the sign."""

import math

import numpy as np


def _sig(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def sigmoid(Z):
    Z = np.asarray(Z, dtype=np.float64)
    A = np.empty(Z.shape)
    for idx in np.ndindex(Z.shape):
        A[idx] = _sig(float(Z[idx]))
    return A


def sigmoid_backward(dA, Z):
    Z = np.asarray(Z, dtype=np.float64)
    dZ = np.empty(Z.shape)
    for idx in np.ndindex(Z.shape):
        s = _sig(float(Z[idx]))
        dZ[idx] = dA[idx] * s * (1.0 - s)
    return dZ


def relu(Z):
    Z = np.asarray(Z, dtype=np.float64)
    A = np.empty(Z.shape)
    for idx in np.ndindex(Z.shape):
        A[idx] = Z[idx] if Z[idx] > 0 else 0.0
    return A


def relu_backward(dA, Z):
    dZ = np.empty(np.shape(Z))
    for idx in np.ndindex(dZ.shape):
        dZ[idx] = dA[idx] if Z[idx] > 0 else 0.0
    return dZ


def tanh_backward(dA, Z):
    dZ = np.empty(np.shape(Z))
    for idx in np.ndindex(dZ.shape):
        t = math.tanh(Z[idx])
        dZ[idx] = dA[idx] * (1.0 - t * t)
    return dZ
