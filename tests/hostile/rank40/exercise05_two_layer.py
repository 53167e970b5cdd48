"""BPGRADE-HOSTILE submission for exercise05 (attack: rank40).

init_params is CORRECT (its honest part) and sgd_step is not started (NotImplementedError);
the other functions return arrays of absurd rank:

- two_layer_forward returns Y_hat of shape (1,) * 40 and a cache of the same;
- two_layer_backward returns gradients of shape (2,) * 20 + (1,) * 20 (a million elements
  spread over 40 axes), (1,) * 64 (NumPy's largest rank), (3,) * 12 and (1,) * 39 + (0,);
- train_step returns parameters of shape (1,) * 40 + (2, 2) and a loss of shape (1,) * 50.

A judge or a feedback printer that recurses, indents or loops per axis, or that broadcasts
these against the reference, spends its time (or its memory) there; the results file must
still be written within its time bound. The grader must cap the rank of what crosses from the
child (in the child and on the wire) and write the results in time: init_params.shapes,
init_params.he_std and init_params.seed pass.

Safe to run by mistake: the largest array is 8 MiB; nothing is written or deleted.
"""

from typing import Any

import numpy as np


def init_params(D: int, H: int, C: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    W1 = rng.normal(0.0, np.sqrt(2.0 / D), size=(H, D))
    W2 = rng.normal(0.0, np.sqrt(2.0 / H), size=(C, H))
    return {"W1": W1, "b1": np.zeros(H), "W2": W2, "b2": np.zeros(C)}


def two_layer_forward(params: dict[str, np.ndarray], X: np.ndarray) -> tuple[np.ndarray, Any]:
    return np.zeros((1,) * 40), np.zeros((1,) * 40)


def two_layer_backward(
    params: dict[str, np.ndarray], cache: Any, dY_hat: np.ndarray
) -> dict[str, np.ndarray]:
    return {
        "W1": np.ones((2,) * 20 + (1,) * 20),
        "b1": np.ones((1,) * 64),
        "W2": np.ones((3,) * 12),
        "b2": np.ones((1,) * 39 + (0,)),
    }


def sgd_step(
    params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: float
) -> dict[str, np.ndarray]:
    raise NotImplementedError


def train_step(
    params: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray, lr: float
) -> tuple[dict[str, np.ndarray], Any]:
    block = np.ones((1,) * 40 + (2, 2))
    return {key: block for key in ("W1", "b1", "W2", "b2")}, np.zeros((1,) * 50)
