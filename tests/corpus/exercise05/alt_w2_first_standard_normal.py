"""Correct: init draws W2 before W1 as rng.standard_normal(shape) * std; cache is a dict; mask via np.where."""

import numpy as np


def init_params(D, H, C, seed=0):
    rng = np.random.default_rng(seed)
    W2 = rng.standard_normal((C, H)) * np.sqrt(2.0 / H)
    W1 = rng.standard_normal((H, D)) * np.sqrt(2.0 / D)
    return {"W1": W1, "b1": np.zeros(H), "W2": W2, "b2": np.zeros(C)}


def two_layer_forward(params, X):
    Z1 = X @ params["W1"].T + params["b1"]
    A1 = np.where(Z1 > 0, Z1, 0.0)
    Y_hat = A1 @ params["W2"].T + params["b2"]
    return Y_hat, {"X": X, "Z1": Z1, "A1": A1}


def two_layer_backward(params, cache, dY_hat):
    grads = {}
    grads["W2"] = dY_hat.T @ cache["A1"]
    grads["b2"] = dY_hat.sum(axis=0)
    dA1 = dY_hat @ params["W2"]
    dZ1 = np.where(cache["Z1"] > 0, dA1, 0.0)
    grads["W1"] = dZ1.T @ cache["X"]
    grads["b1"] = dZ1.sum(axis=0)
    return grads


def sgd_step(params, grads, lr):
    new_params = {}
    for name, value in params.items():
        new_params[name] = value - lr * grads[name]
    return new_params


def train_step(params, X, Y, lr):
    Y_hat, cache = two_layer_forward(params, X)
    diff = Y_hat - Y
    loss = np.mean(diff**2)
    dY_hat = 2.0 * diff / diff.size
    grads = two_layer_backward(params, cache, dY_hat)
    return sgd_step(params, grads, lr), float(loss)
