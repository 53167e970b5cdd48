"""Bug: init_params draws the biases at random too, instead of starting them at zero."""

import numpy as np


def init_params(D, H, C, seed=0):
    rng = np.random.default_rng(seed)
    params = {}
    params["W1"] = rng.normal(0.0, np.sqrt(2.0 / D), size=(H, D))
    params["b1"] = rng.normal(0.0, np.sqrt(2.0 / D), size=H)
    params["W2"] = rng.normal(0.0, np.sqrt(2.0 / H), size=(C, H))
    params["b2"] = rng.normal(0.0, np.sqrt(2.0 / H), size=C)
    return params


def two_layer_forward(params, X):
    Z1 = X @ params["W1"].T + params["b1"]
    A1 = np.maximum(Z1, 0)
    Y_hat = A1 @ params["W2"].T + params["b2"]
    cache = (X, Z1, A1)
    return Y_hat, cache


def two_layer_backward(params, cache, dY_hat):
    X, Z1, A1 = cache
    dW2 = dY_hat.T @ A1
    db2 = dY_hat.sum(axis=0)
    dA1 = dY_hat @ params["W2"]
    dZ1 = dA1 * (Z1 > 0)
    dW1 = dZ1.T @ X
    db1 = dZ1.sum(axis=0)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def sgd_step(params, grads, lr):
    return {k: params[k] - lr * grads[k] for k in params}


def mse_loss(Y_hat, Y):
    return np.mean((Y_hat - Y) ** 2)


def mse_backward(Y_hat, Y):
    return 2 * (Y_hat - Y) / Y.size


def train_step(params, X, Y, lr):
    Y_hat, cache = two_layer_forward(params, X)
    loss = mse_loss(Y_hat, Y)
    dY_hat = mse_backward(Y_hat, Y)
    grads = two_layer_backward(params, cache, dY_hat)
    new_params = sgd_step(params, grads, lr)
    return new_params, loss
