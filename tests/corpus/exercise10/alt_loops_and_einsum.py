# Right: one feature at a time with Python loops, a Welford running variance, einsum for
# the sums, and the statistics of layernorm along the last axis of any shape.
import numpy as np


def _mean_var(values):
    # Welford: a numerically stable one-pass mean and (biased) variance
    mean, m2 = 0.0, 0.0
    for k, x in enumerate(values, start=1):
        delta = x - mean
        mean += delta / k
        m2 += delta * (x - mean)
    return mean, m2 / len(values)


def batchnorm_forward(X, gamma, beta, eps=1e-5):
    Y = np.empty_like(X, dtype=float)
    for j in range(X.shape[1]):
        mean, var = _mean_var(X[:, j])
        Y[:, j] = gamma[j] * (X[:, j] - mean) / np.sqrt(var + eps) + beta[j]
    return Y


def batchnorm_backward(dY, X, gamma, eps=1e-5):
    N, D = X.shape
    dX = np.zeros((N, D))
    dgamma = np.zeros(D)
    dbeta = np.zeros(D)
    for j in range(D):
        mean, var = _mean_var(X[:, j])
        inv = 1.0 / np.sqrt(var + eps)
        xhat = (X[:, j] - mean) * inv
        g = dY[:, j] * gamma[j]
        dX[:, j] = inv / N * (N * g - g.sum() - xhat * np.dot(g, xhat))
        dgamma[j] = np.dot(dY[:, j], xhat)
        dbeta[j] = dY[:, j].sum()
    return dX, dgamma, dbeta


def running_stats(running_mean, running_var, X, momentum=0.1):
    N = X.shape[0]
    new_mean = np.zeros(X.shape[1])
    new_var = np.zeros(X.shape[1])
    for j in range(X.shape[1]):
        mean, var = _mean_var(X[:, j])
        new_mean[j] = (1 - momentum) * running_mean[j] + momentum * mean
        new_var[j] = (1 - momentum) * running_var[j] + momentum * var * N / (N - 1)
    return new_mean, new_var


def batchnorm_eval(X, gamma, beta, running_mean, running_var, eps=1e-5):
    std = np.sqrt(running_var + eps)
    return np.einsum("nd,d->nd", X - running_mean, gamma / std) + beta


def layernorm_forward(X, gamma, beta, eps=1e-5):
    mean = np.einsum("...d->...", X)[..., None] / X.shape[-1]
    centered = X - mean
    var = np.einsum("...d,...d->...", centered, centered)[..., None] / X.shape[-1]
    return centered / np.sqrt(var + eps) * gamma + beta


def layernorm_backward(dY, X, gamma, eps=1e-5):
    D = X.shape[-1]
    mean = X.mean(axis=-1, keepdims=True)
    centered = X - mean
    var = (centered * centered).mean(axis=-1, keepdims=True)
    inv = 1.0 / np.sqrt(var + eps)
    xhat = centered * inv
    g = dY * gamma
    dX = inv * (g - g.mean(axis=-1, keepdims=True) - xhat * (g * xhat).mean(axis=-1, keepdims=True))
    rows, drows = xhat.reshape(-1, D), dY.reshape(-1, D)
    dgamma = np.einsum("nd,nd->d", drows, rows)
    dbeta = np.einsum("nd->d", drows)
    return dX, dgamma, dbeta
