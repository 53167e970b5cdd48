"""Correct: cache is a class instance; rng.standard_normal(shape) * std; type hints."""

from __future__ import annotations

import math

import numpy as np


class ForwardCache:
    """What the backward pass needs from the forward pass."""

    def __init__(self, X: np.ndarray, Z1: np.ndarray, A1: np.ndarray) -> None:
        self.X = X
        self.Z1 = Z1
        self.A1 = A1

    def __repr__(self) -> str:
        return f"ForwardCache(N={self.X.shape[0]}, H={self.Z1.shape[1]})"


def init_params(D: int, H: int, C: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((H, D)) * math.sqrt(2.0 / D)
    W2 = rng.standard_normal((C, H)) * math.sqrt(2.0 / H)
    return {"W1": W1, "b1": np.zeros(H), "W2": W2, "b2": np.zeros(C)}


def two_layer_forward(
    params: dict[str, np.ndarray], X: np.ndarray
) -> tuple[np.ndarray, ForwardCache]:
    Z1 = X @ params["W1"].T + params["b1"]
    A1 = np.maximum(Z1, 0.0)
    Y_hat = A1 @ params["W2"].T + params["b2"]
    return Y_hat, ForwardCache(X, Z1, A1)


def two_layer_backward(
    params: dict[str, np.ndarray], cache: ForwardCache, dY_hat: np.ndarray
) -> dict[str, np.ndarray]:
    dW2 = dY_hat.T @ cache.A1
    db2 = dY_hat.sum(axis=0)
    dA1 = dY_hat @ params["W2"]
    dZ1 = dA1 * (cache.Z1 > 0)
    dW1 = dZ1.T @ cache.X
    db1 = dZ1.sum(axis=0)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def sgd_step(
    params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: float
) -> dict[str, np.ndarray]:
    return {name: value - lr * grads[name] for name, value in params.items()}


def train_step(
    params: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray, lr: float
) -> tuple[dict[str, np.ndarray], float]:
    Y_hat, cache = two_layer_forward(params, X)
    diff = Y_hat - Y
    loss = float(np.mean(diff**2))
    grads = two_layer_backward(params, cache, 2.0 * diff / diff.size)
    return sgd_step(params, grads, lr), loss
