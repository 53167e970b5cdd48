"""Bug: dW = X.T @ dZ, the transpose of the right gradient (shape (D_in, D_out))."""

import numpy as np


def linear_forward(X, W, b):
    return X @ W.T + b


def linear_backward(dZ, X, W):
    dX = dZ @ W
    dW = X.T @ dZ
    db = dZ.sum(axis=0)
    return dX, dW, db
