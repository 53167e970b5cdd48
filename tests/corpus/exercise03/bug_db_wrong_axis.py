"""Bug: db sums over axis=1 (the output units) instead of axis=0 (the batch)."""

import numpy as np


def linear_forward(X, W, b):
    return X @ W.T + b


def linear_backward(dZ, X, W):
    dX = dZ @ W
    dW = dZ.T @ X
    db = np.sum(dZ, axis=1)
    return dX, dW, db
