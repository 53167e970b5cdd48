"""BPGRADE-HOSTILE submission for exercise02 (attack: infinite_loop).

The reference solution, except that tanh_backward spins forever (`while True: pass`). It is
the last function the grader calls, so everything before it has already returned. The grader
must stop it on a time limit (wall clock or CPU), keep what the other functions returned, and
say that the code timed out: 8 of 10 (tanh_backward fails, and arguments_unchanged, advice
worth no points).
"""

import numpy as np


def sigmoid(Z: np.ndarray) -> np.ndarray:
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    s = sigmoid(Z)
    local = s * (1.0 - s)
    return dA * local


def relu(Z: np.ndarray) -> np.ndarray:
    return np.maximum(Z, 0.0)


def relu_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    local = Z > 0
    return np.where(local, dA, 0.0)


def tanh_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    while True:
        pass
