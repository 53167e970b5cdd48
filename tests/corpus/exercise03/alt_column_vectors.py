"""Correct: thinks in column vectors (W @ x, one column per example) and transposes back to batch-first."""

import numpy as np


def linear_forward(X, W, b):
    Xc = X.T  # (D_in, N): one column per example
    Zc = W @ Xc + b.reshape(-1, 1)  # (D_out, N)
    return Zc.T


def linear_backward(dZ, X, W):
    dZc = dZ.T  # (D_out, N)
    dX = (W.T @ dZc).T  # (N, D_in)
    dW = dZc @ X  # (D_out, D_in)
    db = dZc.sum(axis=1)  # sum over the examples (the columns)
    return dX, dW, db
