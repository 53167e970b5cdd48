"""BPGRADE-HOSTILE submission for exercise03 (attack: os_exit_in_function).

linear_forward is the reference solution; linear_backward calls os._exit(0), which ends the
process at once with status 0: no exception, no traceback, no finally blocks, no atexit, and
an exit status that says "success". linear_backward is the last function the grader calls, so
linear_forward has already answered. The grader must notice that the process ended before
every call answered, say that it exited in linear_backward, and keep linear_forward's points:
3 of 10 (the three linear_backward checks fail, and arguments_unchanged, advice worth no
points).
"""

import os

import numpy as np


def linear_forward(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    return X @ W.T + b


def linear_backward(
    dZ: np.ndarray, X: np.ndarray, W: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    os._exit(0)
