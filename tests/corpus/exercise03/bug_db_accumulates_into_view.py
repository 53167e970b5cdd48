"""Bug (subtle): db starts as dZ[0], a view, and += accumulates the other rows into the caller's dZ."""

import numpy as np


def linear_forward(X, W, b):
    return X @ W.T + b


def linear_backward(dZ, X, W):
    dX = dZ @ W
    dW = dZ.T @ X
    db = dZ[0]
    for n in range(1, dZ.shape[0]):
        db += dZ[n]
    return dX, dW, db
