"""Bug: db averages the batch (dZ.mean(axis=0)) instead of summing it."""

import numpy as np


def linear_forward(X, W, b):
    return X @ W.T + b


def linear_backward(dZ, X, W):
    dX = dZ @ W
    dW = dZ.T @ X
    db = dZ.mean(axis=0)
    return dX, dW, db
