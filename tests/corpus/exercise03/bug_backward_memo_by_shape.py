"""Bug: gradients memoised per input shapes: a second call with the same shapes returns the first call's gradients."""

import numpy as np

_GRADS = {}  # shapes -> gradients


def linear_forward(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The forward pass of a linear layer.

    Z = X @ W.T + b.

    Inputs:
    - X: inputs, shape (N, D_in)
    - W: weights, shape (D_out, D_in)
    - b: biases, shape (D_out,)

    Returns:
    - Z: outputs, shape (N, D_out)
    """
    return X @ W.T + b


def linear_backward(dZ: np.ndarray, X: np.ndarray, W: np.ndarray):
    key = (dZ.shape, X.shape, W.shape)
    if key not in _GRADS:
        _GRADS[key] = (dZ @ W, dZ.T @ X, dZ.sum(axis=0))
    dX, dW, db = _GRADS[key]
    return dX.copy(), dW.copy(), db.copy()
