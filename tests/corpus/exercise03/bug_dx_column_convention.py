"""Bug: dX written in the column-vector convention, W.T @ dZ.T, giving the (D_in, N) transpose."""

import numpy as np


def linear_forward(X, W, b):
    return X @ W.T + b


def linear_backward(dZ, X, W):
    dX = W.T @ dZ.T
    dW = dZ.T @ X
    db = dZ.sum(axis=0)
    return dX, dW, db
