"""Correct: explicit loops over the batch, dW accumulated from one outer product per example."""

import numpy as np


def linear_forward(X, W, b):
    N = X.shape[0]
    D_out = W.shape[0]
    Z = np.zeros((N, D_out))
    for n in range(N):
        for o in range(D_out):
            Z[n, o] = np.dot(W[o], X[n]) + b[o]
    return Z


def linear_backward(dZ, X, W):
    N, D_in = X.shape
    D_out = W.shape[0]
    dX = np.zeros((N, D_in))
    dW = np.zeros((D_out, D_in))
    db = np.zeros(D_out)
    for n in range(N):
        dX[n] = W.T @ dZ[n]
        dW += np.outer(dZ[n], X[n])
        db += dZ[n]
    return dX, dW, db
