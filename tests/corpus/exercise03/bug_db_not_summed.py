"""Bug: db = dZ, the per-example gradients are returned without summing over the batch."""

import numpy as np


def linear_forward(X, W, b):
    return X @ W.T + b


def linear_backward(dZ, X, W):
    dX = dZ @ W
    dW = dZ.T @ X
    db = dZ
    return dX, dW, db
