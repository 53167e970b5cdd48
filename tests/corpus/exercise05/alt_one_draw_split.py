"""Correct: one standard_normal draw split into W1 and W2; tuple cache; np.matmul."""

import numpy as np


def init_params(D, H, C, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(H * D + C * H)  # W1's numbers, then W2's, in one draw
    W1 = z[: H * D].reshape(H, D) * np.sqrt(2.0 / D)
    W2 = z[H * D :].reshape(C, H) * np.sqrt(2.0 / H)
    return {"W1": W1, "b1": np.zeros(H), "W2": W2, "b2": np.zeros(C)}


def two_layer_forward(params, X):
    Z1 = np.matmul(X, params["W1"].T) + params["b1"]
    A1 = np.clip(Z1, 0.0, None)
    Y_hat = np.matmul(A1, params["W2"].T) + params["b2"]
    return Y_hat, (X, Z1, A1)


def two_layer_backward(params, cache, dY_hat):
    X, Z1, A1 = cache
    dW2 = np.matmul(dY_hat.T, A1)
    db2 = dY_hat.sum(0)
    dZ1 = np.matmul(dY_hat, params["W2"]) * (Z1 > 0).astype(np.float64)
    return {"W1": np.matmul(dZ1.T, X), "b1": dZ1.sum(0), "W2": dW2, "b2": db2}


def sgd_step(params, grads, lr):
    return dict((k, np.subtract(v, lr * grads[k])) for k, v in params.items())


def train_step(params, X, Y, lr):
    Y_hat, cache = two_layer_forward(params, X)
    err = Y_hat - Y
    loss = float((err**2).mean())
    grads = two_layer_backward(params, cache, 2 * err / err.size)
    return sgd_step(params, grads, lr), loss
