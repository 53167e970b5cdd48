"""Correct: linear_backward returns a list [dX, dW, db]; arguably fine."""

import numpy as np


def linear_forward(X, W, b):
    return np.matmul(X, W.T) + b


def linear_backward(dZ, X, W):
    return [dZ @ W, dZ.T @ X, np.sum(dZ, axis=0)]
