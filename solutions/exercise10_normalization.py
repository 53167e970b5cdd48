"""Reference solution, exercise 10: normalization (batchnorm and layernorm).

Batchnorm normalizes each feature (column) over the batch, layernorm each vector along the
last axis over its own features; both then scale by gamma and shift by beta:
xhat = (x - mean) / sqrt(var + eps), y = gamma * xhat + beta, var the biased variance (a mean
of squared deviations from the mean: accurate however far the mean is from 0).
The backward pass, for the m values normalized together (m = N for batchnorm, D for layernorm):
dxhat = dY * gamma, dX = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / sqrt(var + eps),
dgamma = sum of dY * xhat and dbeta = sum of dY over every axis but the features'.
Self-contained: the steps are written inline, not imported.
"""

import numpy as np


def _normalized(X: np.ndarray, axis: int, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """(xhat, 1 / sqrt(var + eps)) along `axis`: the variance as the mean of the squared
    deviations from the mean, never E[x**2] - E[x]**2 (which loses every digit of a feature
    whose mean is 1e8 times its spread)."""
    centered = X - X.mean(axis=axis, keepdims=True)
    var = (centered**2).mean(axis=axis, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    return centered * inv_std, inv_std


def batchnorm_forward(
    X: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5
) -> np.ndarray:
    """Batch normalization in training mode: each feature normalized over the batch.

    mean and var per feature (column) over the N examples, var biased (divided by N);
    Y = gamma * (X - mean) / sqrt(var + eps) + beta.

    Inputs:
    - X: inputs, shape (N, D), N >= 2
    - gamma: the gain of each feature, shape (D,)
    - beta: the shift of each feature, shape (D,)
    - eps: added to the variance, inside the square root

    Returns:
    - Y: outputs, shape (N, D)
    """
    xhat, _ = _normalized(X, 0, eps)
    return gamma * xhat + beta


def batchnorm_backward(
    dY: np.ndarray, X: np.ndarray, gamma: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The backward pass of batchnorm_forward: the batch mean and variance are functions of X.

    Inputs:
    - dY: upstream gradient dL/dY, shape (N, D)
    - X: the forward's inputs, shape (N, D), N >= 2
    - gamma: the gain of each feature, shape (D,)
    - eps: the forward's eps

    Returns a tuple of:
    - dX: shape (N, D); each of its columns sums to zero
    - dgamma: shape (D,)
    - dbeta: shape (D,)
    """
    xhat, inv_std = _normalized(X, 0, eps)
    dxhat = dY * gamma
    mean_term = dxhat.mean(axis=0, keepdims=True)  # through the mean
    var_term = xhat * (dxhat * xhat).mean(axis=0, keepdims=True)  # through the variance
    dX = inv_std * (dxhat - mean_term - var_term)
    return dX, (dY * xhat).sum(axis=0), dY.sum(axis=0)


def running_stats(
    running_mean: np.ndarray, running_var: np.ndarray, X: np.ndarray, momentum: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """The running mean and variance after one training batch, as nn.BatchNorm1d keeps them.

    new = (1 - momentum) * old + momentum * batch, momentum the weight of the new batch; the
    batch variance is the unbiased one (divided by N - 1).

    Inputs:
    - running_mean: shape (D,)
    - running_var: shape (D,)
    - X: the batch, shape (N, D), N >= 2
    - momentum: the weight of the new batch's statistics

    Returns a tuple of:
    - new_mean: shape (D,)
    - new_var: shape (D,)
    """
    n = X.shape[0]
    mean = X.mean(axis=0)
    unbiased = ((X - mean) ** 2).sum(axis=0) / (n - 1)
    new_mean = (1.0 - momentum) * running_mean + momentum * mean
    new_var = (1.0 - momentum) * running_var + momentum * unbiased
    return new_mean, new_var


def batchnorm_eval(
    X: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    eps: float = 1e-5,
) -> np.ndarray:
    """Batch normalization in evaluation mode: the running statistics, not the batch's.

    Y = gamma * (X - running_mean) / sqrt(running_var + eps) + beta.

    Inputs:
    - X: inputs, shape (N, D)
    - gamma, beta: shape (D,)
    - running_mean, running_var: shape (D,)
    - eps: added to the variance, inside the square root

    Returns:
    - Y: outputs, shape (N, D)
    """
    return gamma * (X - running_mean) / np.sqrt(running_var + eps) + beta


def layernorm_forward(
    X: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5
) -> np.ndarray:
    """Layer normalization: each vector along the last axis normalized over its own features.

    mean and biased var of each X[..., :] over its D features;
    Y = gamma * (X - mean) / sqrt(var + eps) + beta.

    Inputs:
    - X: inputs, shape (..., D): (N, D), or (B, T, D) for a sequence
    - gamma, beta: shape (D,)
    - eps: added to the variance, inside the square root

    Returns:
    - Y: outputs, shape of X
    """
    xhat, _ = _normalized(X, -1, eps)
    return gamma * xhat + beta


def layernorm_backward(
    dY: np.ndarray, X: np.ndarray, gamma: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The backward pass of layernorm_forward.

    Inputs:
    - dY: upstream gradient dL/dY, shape of X
    - X: the forward's inputs, shape (..., D)
    - gamma: shape (D,)
    - eps: the forward's eps

    Returns a tuple of:
    - dX: shape of X; each vector along its last axis sums to zero
    - dgamma: shape (D,), summed over every leading axis
    - dbeta: shape (D,), summed over every leading axis
    """
    xhat, inv_std = _normalized(X, -1, eps)
    dxhat = dY * gamma
    mean_term = dxhat.mean(axis=-1, keepdims=True)  # through the mean
    var_term = xhat * (dxhat * xhat).mean(axis=-1, keepdims=True)  # through the variance
    dX = inv_std * (dxhat - mean_term - var_term)
    leading = tuple(range(X.ndim - 1))
    return dX, (dY * xhat).sum(axis=leading), dY.sum(axis=leading)
