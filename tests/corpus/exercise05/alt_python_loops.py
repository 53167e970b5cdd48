"""Correct: backward accumulates per-example outer products in a Python loop; the step loops over keys."""

import numpy as np


def init_params(D, H, C, seed=0):
    rng = np.random.default_rng(seed)
    params = {}
    for name, (fan_out, fan_in) in (("1", (H, D)), ("2", (C, H))):
        params["W" + name] = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_out, fan_in))
        params["b" + name] = np.zeros(fan_out)
    return params


def two_layer_forward(params, X):
    N = X.shape[0]
    H = params["W1"].shape[0]
    C = params["W2"].shape[0]
    Z1 = np.zeros((N, H))
    A1 = np.zeros((N, H))
    Y_hat = np.zeros((N, C))
    for n in range(N):
        Z1[n] = params["W1"] @ X[n] + params["b1"]
        A1[n] = np.maximum(Z1[n], 0.0)
        Y_hat[n] = params["W2"] @ A1[n] + params["b2"]
    return Y_hat, (X, Z1, A1)


def two_layer_backward(params, cache, dY_hat):
    X, Z1, A1 = cache
    grads = {k: np.zeros_like(v, dtype=np.float64) for k, v in params.items()}
    for n in range(X.shape[0]):
        dy = dY_hat[n]
        grads["W2"] += np.outer(dy, A1[n])
        grads["b2"] += dy
        dz1 = (params["W2"].T @ dy) * (Z1[n] > 0)
        grads["W1"] += np.outer(dz1, X[n])
        grads["b1"] += dz1
    return grads


def sgd_step(params, grads, lr):
    out = {}
    for k in params:
        out[k] = params[k] - lr * grads[k]
    return out


def train_step(params, X, Y, lr):
    Y_hat, cache = two_layer_forward(params, X)
    total = 0.0
    dY_hat = np.zeros(Y.shape)
    for idx in np.ndindex(Y.shape):
        d = Y_hat[idx] - Y[idx]
        total += d * d
        dY_hat[idx] = 2.0 * d / Y.size
    loss = total / Y.size
    grads = two_layer_backward(params, cache, dY_hat)
    return sgd_step(params, grads, lr), loss
