"""BPGRADE-HOSTILE submission for exercise05 (attack: empty_giant).

init_params is CORRECT (its honest part) and sgd_step is not started (NotImplementedError);
the other functions return arrays that hold nothing and claim to be enormous:

- two_layer_forward returns np.zeros((10**12, 0)) as Y_hat (no element, a trillion rows) and a
  cache of np.zeros((0, 10**12));
- two_layer_backward returns gradients of shapes (10**12, 0), (0,), (2**62, 0) and
  (10**9, 10**9, 0);
- train_step returns parameters that are np.broadcast_to(0.0, (10**6, 10**6)): read-only
  views of one float with zero strides, a trillion elements (8 TB) that cost no memory until
  someone copies or loops over them, and a loss of the same kind.

An empty array passes every check on the number of elements; a judge that then compares or
prints it row by row loops 10**12 times in the root grader, and one that copies the
broadcast view runs out of memory; the results file is never written. The grader must cap the
rank and every dimension of what crosses from the child (in the child and on the wire), judge
what came back in time proportional to what it shows, and write the results file within its
time bound: init_params.shapes, init_params.he_std and init_params.seed pass.

Safe to run by mistake: none of these arrays takes memory; nothing is written or deleted.
"""

from typing import Any

import numpy as np

GIANT = 10**12


def init_params(D: int, H: int, C: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    W1 = rng.normal(0.0, np.sqrt(2.0 / D), size=(H, D))
    W2 = rng.normal(0.0, np.sqrt(2.0 / H), size=(C, H))
    return {"W1": W1, "b1": np.zeros(H), "W2": W2, "b2": np.zeros(C)}


def two_layer_forward(params: dict[str, np.ndarray], X: np.ndarray) -> tuple[np.ndarray, Any]:
    return np.zeros((GIANT, 0)), (np.zeros((0, GIANT)),)


def two_layer_backward(
    params: dict[str, np.ndarray], cache: Any, dY_hat: np.ndarray
) -> dict[str, np.ndarray]:
    return {
        "W1": np.zeros((GIANT, 0)),
        "b1": np.zeros((0,)),
        "W2": np.zeros((2**62, 0)),
        "b2": np.zeros((10**9, 10**9, 0)),
    }


def sgd_step(
    params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: float
) -> dict[str, np.ndarray]:
    raise NotImplementedError


def train_step(
    params: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray, lr: float
) -> tuple[dict[str, np.ndarray], Any]:
    view = np.broadcast_to(np.float64(0.0), (10**6, 10**6))
    return {key: view for key in ("W1", "b1", "W2", "b2")}, view
