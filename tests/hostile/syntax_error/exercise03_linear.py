"""BPGRADE-HOSTILE submission for exercise03 (attack: syntax_error).

The reference solution with one colon missing, so the file does not compile. (Excluded from
ruff by tests/hostile/ruff.toml.) The grader must report the syntax error with its line and
score 0 of 10 without crashing.
"""

import numpy as np


def linear_forward(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray
    return X @ W.T + b


def linear_backward(
    dZ: np.ndarray, X: np.ndarray, W: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dX = dZ @ W
    dW = dZ.T @ X
    db = dZ.sum(axis=0)
    return dX, dW, db
