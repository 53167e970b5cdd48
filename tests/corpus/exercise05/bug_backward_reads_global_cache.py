"""Bug: backward reads a module-level copy of the last forward's cache, not its cache argument."""

from typing import Any

import numpy as np

_LAST_CACHE = None


def init_params(D: int, H: int, C: int, seed: int = 0) -> dict[str, np.ndarray]:
    """He initialization of the two layers, reproducible from the seed.

    W ~ Normal(0, sqrt(2 / fan_in)), drawn W1 then W2 from np.random.default_rng(seed); b = 0.

    Inputs:
    - D: the number of input features
    - H: the number of hidden units
    - C: the number of outputs
    - seed: the seed of the random generator

    Returns:
    - params: a dict with "W1" (H, D), "b1" (H,), "W2" (C, H), "b2" (C,), all float64
    """
    rng = np.random.default_rng(seed)
    W1 = rng.normal(0.0, np.sqrt(2.0 / D), size=(H, D))  # fan_in of layer 1 is D
    W2 = rng.normal(0.0, np.sqrt(2.0 / H), size=(C, H))  # fan_in of layer 2 is H
    return {"W1": W1, "b1": np.zeros(H), "W2": W2, "b2": np.zeros(C)}


def two_layer_forward(params: dict[str, np.ndarray], X: np.ndarray) -> tuple[np.ndarray, Any]:
    """The forward pass of the network.

    Y_hat = relu(X @ W1.T + b1) @ W2.T + b2.

    Inputs:
    - params: a dict with "W1" (H, D), "b1" (H,), "W2" (C, H), "b2" (C,)
    - X: inputs, shape (N, D)

    Returns a tuple of:
    - Y_hat: predictions, shape (N, C)
    - cache: what two_layer_backward needs (for example X, Z1 and A1)
    """
    Z1 = X @ params["W1"].T + params["b1"]  # (N, H)
    A1 = np.maximum(Z1, 0.0)  # (N, H)
    Y_hat = A1 @ params["W2"].T + params["b2"]  # (N, C)
    cache = (X, Z1, A1)
    global _LAST_CACHE
    _LAST_CACHE = cache  # for the backward pass
    return Y_hat, cache


def two_layer_backward(
    params: dict[str, np.ndarray], cache: Any, dY_hat: np.ndarray
) -> dict[str, np.ndarray]:
    """The backward pass of the network: the chain rule from Y_hat back to W1.

    Second linear layer, then ReLU, then first linear layer, each upstream times local.

    Inputs:
    - params: a dict with "W1" (H, D), "b1" (H,), "W2" (C, H), "b2" (C,)
    - cache: what two_layer_forward returned with Y_hat
    - dY_hat: upstream gradient dL/dY_hat, shape (N, C)

    Returns:
    - grads: a dict with "W1" (H, D), "b1" (H,), "W2" (C, H), "b2" (C,)
    """
    X, Z1, A1 = _LAST_CACHE  # what the forward pass stored

    # Second linear layer, Y_hat = A1 @ W2.T + b2; upstream is dY_hat (N, C).
    dW2 = dY_hat.T @ A1  # (C, H)
    db2 = dY_hat.sum(axis=0)  # (C,)
    dA1 = dY_hat @ params["W2"]  # (N, H)

    # ReLU, A1 = relu(Z1): upstream dA1 times the local slope (0 at exactly 0).
    local = Z1 > 0
    dZ1 = np.where(local, dA1, 0.0)  # (N, H)

    # First linear layer, Z1 = X @ W1.T + b1; upstream is dZ1. dX is not needed.
    dW1 = dZ1.T @ X  # (H, D)
    db1 = dZ1.sum(axis=0)  # (H,)

    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def sgd_step(
    params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: float
) -> dict[str, np.ndarray]:
    """One step of stochastic gradient descent, returned as a new dict.

    new[k] = params[k] - lr * grads[k] for every key k.

    Inputs:
    - params: a dict of arrays
    - grads: a dict with the same keys and shapes as params
    - lr: the learning rate, a positive float

    Returns:
    - new_params: a new dict with the same keys and shapes; params and grads are unchanged
    """
    return {k: params[k] - lr * grads[k] for k in params}


def train_step(
    params: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray, lr: float
) -> tuple[dict[str, np.ndarray], float]:
    """One training step: forward, mse_loss, backward, sgd_step.

    dY_hat = 2 * (Y_hat - Y) / Y.size starts the backward pass; loss is taken before the update.

    Inputs:
    - params: a dict with "W1" (H, D), "b1" (H,), "W2" (C, H), "b2" (C,)
    - X: inputs, shape (N, D)
    - Y: targets, shape (N, C)
    - lr: the learning rate, a positive float

    Returns a tuple of:
    - new_params: a new params dict after one SGD step
    - loss: a float, the MSE loss of params (before the step)
    """
    Y_hat, cache = two_layer_forward(params, X)
    loss = float(np.mean((Y_hat - Y) ** 2))  # mse_loss
    dY_hat = 2.0 * (Y_hat - Y) / Y.size  # mse_backward: the 1/size of the mean
    grads = two_layer_backward(params, cache, dY_hat)
    return sgd_step(params, grads, lr), loss
