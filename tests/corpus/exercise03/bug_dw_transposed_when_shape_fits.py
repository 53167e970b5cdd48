"""Bug: dW = X.T @ dZ, transposed only when the shape does not fit: transposed for a square W."""

import numpy as np


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


def linear_backward(
    dZ: np.ndarray, X: np.ndarray, W: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The backward pass of a linear layer: the chain rule through Z = X @ W.T + b.

    Each gradient is upstream dZ times a local derivative, summed over what it touched.

    Inputs:
    - dZ: upstream gradient dL/dZ, shape (N, D_out)
    - X: the inputs the forward pass was given, shape (N, D_in)
    - W: the weights the forward pass was given, shape (D_out, D_in)

    Returns a tuple of:
    - dX: gradient dL/dX, shape (N, D_in)
    - dW: gradient dL/dW, shape (D_out, D_in)
    - db: gradient dL/db, shape (D_out,)
    """
    dX = dZ @ W  # dX[n, i] = sum_j dZ[n, j] * W[j, i]
    dW = X.T @ dZ
    if dW.shape != W.shape:
        dW = dW.T  # make it fit W
    db = dZ.sum(axis=0)  # b was added to every row of the batch
    return dX, dW, db
