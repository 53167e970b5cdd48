"""BPGRADE-HOSTILE submission for exercise05 (attack: slow_import).

The reference solution, behind time.sleep(60) at import: no CPU used, so only a wall clock
stops it. A grader with a CPU-time limit alone, or none, waits a minute per exercise (and a
whole class's submissions, hours). The grader must stop it on its wall-clock limit (which the
test keeps well below 60 s) and say that it timed out while the file was being imported:
0 of 12.
"""

import time
from typing import Any

import numpy as np

time.sleep(60)


def init_params(D: int, H: int, C: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    W1 = rng.normal(0.0, np.sqrt(2.0 / D), size=(H, D))
    W2 = rng.normal(0.0, np.sqrt(2.0 / H), size=(C, H))
    return {"W1": W1, "b1": np.zeros(H), "W2": W2, "b2": np.zeros(C)}


def two_layer_forward(params: dict[str, np.ndarray], X: np.ndarray) -> tuple[np.ndarray, Any]:
    Z1 = X @ params["W1"].T + params["b1"]
    A1 = np.maximum(Z1, 0.0)
    Y_hat = A1 @ params["W2"].T + params["b2"]
    return Y_hat, (X, Z1, A1)


def two_layer_backward(
    params: dict[str, np.ndarray], cache: Any, dY_hat: np.ndarray
) -> dict[str, np.ndarray]:
    X, Z1, A1 = cache
    dW2 = dY_hat.T @ A1
    db2 = dY_hat.sum(axis=0)
    dA1 = dY_hat @ params["W2"]
    dZ1 = np.where(Z1 > 0, dA1, 0.0)
    dW1 = dZ1.T @ X
    db1 = dZ1.sum(axis=0)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def sgd_step(
    params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: float
) -> dict[str, np.ndarray]:
    return {k: params[k] - lr * grads[k] for k in params}


def train_step(
    params: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray, lr: float
) -> tuple[dict[str, np.ndarray], float]:
    Y_hat, cache = two_layer_forward(params, X)
    loss = float(np.mean((Y_hat - Y) ** 2))
    dY_hat = 2.0 * (Y_hat - Y) / Y.size
    grads = two_layer_backward(params, cache, dY_hat)
    return sgd_step(params, grads, lr), loss
