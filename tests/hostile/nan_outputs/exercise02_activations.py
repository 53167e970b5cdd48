"""BPGRADE-HOSTILE submission for exercise02 (attack: nan_outputs).

Every function returns an array of the right shape, full of NaN. NaN compares unequal to
everything, so a judge that tests `not (abs(r - e) > tol)` instead of `abs(r - e) <= tol`, or
skips NaN cells as "missing", or averages an error that is NaN, passes it; a judge that
formats or diagnoses NaN carelessly crashes. The grader must fail every value check with a
readable message. The arguments are left alone, so arguments_unchanged passes, but it is
advice, worth no points: 0 of 10.
"""

import numpy as np


def _nan_like(Z: np.ndarray) -> np.ndarray:
    return np.full(np.shape(Z), np.nan)


def sigmoid(Z: np.ndarray) -> np.ndarray:
    return _nan_like(Z)


def sigmoid_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    return _nan_like(Z)


def relu(Z: np.ndarray) -> np.ndarray:
    return _nan_like(Z)


def relu_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    return _nan_like(Z)


def tanh_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    return _nan_like(Z)
