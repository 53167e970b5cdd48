"""Correct: every product as np.einsum, cache as a tuple, mse as separate helpers."""

import numpy as np


def init_params(D, H, C, seed=0):
    rng = np.random.default_rng(seed)
    W1 = rng.normal(loc=0.0, scale=np.sqrt(2.0 / D), size=(H, D))
    W2 = rng.normal(loc=0.0, scale=np.sqrt(2.0 / H), size=(C, H))
    return {
        "W1": W1,
        "b1": np.zeros(H, dtype=np.float64),
        "W2": W2,
        "b2": np.zeros(C, dtype=np.float64),
    }


def two_layer_forward(params, X):
    Z1 = np.einsum("nd,hd->nh", X, params["W1"]) + params["b1"]
    A1 = np.maximum(Z1, 0.0)
    Y_hat = np.einsum("nh,ch->nc", A1, params["W2"]) + params["b2"]
    return Y_hat, (X, Z1, A1)


def two_layer_backward(params, cache, dY_hat):
    X, Z1, A1 = cache
    dW2 = np.einsum("nc,nh->ch", dY_hat, A1)
    db2 = np.einsum("nc->c", dY_hat)
    dA1 = np.einsum("nc,ch->nh", dY_hat, params["W2"])
    dZ1 = dA1 * (Z1 > 0)
    dW1 = np.einsum("nh,nd->hd", dZ1, X)
    db1 = np.einsum("nh->h", dZ1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def sgd_step(params, grads, lr):
    return {k: v - lr * grads[k] for k, v in params.items()}


def mse_loss(Y_hat, Y):
    d = (Y_hat - Y).reshape(-1)
    return float(np.einsum("i,i->", d, d) / d.size)


def mse_backward(Y_hat, Y):
    return 2.0 * (Y_hat - Y) / Y.size


def train_step(params, X, Y, lr):
    Y_hat, cache = two_layer_forward(params, X)
    loss = mse_loss(Y_hat, Y)
    grads = two_layer_backward(params, cache, mse_backward(Y_hat, Y))
    return sgd_step(params, grads, lr), loss
