"""Correct: np.tensordot contracting the named axes, db as a ones-vector product."""

import numpy as np


def linear_forward(X, W, b):
    return np.tensordot(X, W, axes=([1], [1])) + b[np.newaxis, :]


def linear_backward(dZ, X, W):
    dX = np.tensordot(dZ, W, axes=([1], [0]))
    dW = np.tensordot(dZ, X, axes=([0], [0]))
    db = np.ones(dZ.shape[0]) @ dZ
    return dX, dW, db
