# Bug: the activation applied after every layer, the output layer's too.
import numpy as np


def init_weights(sizes, scheme, seed=0):
    rng = np.random.default_rng(seed)
    params = {}
    for l in range(1, len(sizes)):
        fan_in = sizes[l - 1]
        fan_out = sizes[l]
        if scheme == "xavier":
            std = np.sqrt(2 / (fan_in + fan_out))
        elif scheme == "he":
            std = np.sqrt(2 / fan_in)
        elif scheme == "small":
            std = 0.01
        else:
            std = 1.0
        params["W" + str(l)] = rng.normal(0.0, std, size=(fan_out, fan_in))
        params["b" + str(l)] = np.zeros(fan_out)
    return params


def act(Z, activation):
    if activation == "relu":
        return np.maximum(0, Z)
    if activation == "tanh":
        return np.tanh(Z)
    return 1 / (1 + np.exp(-np.clip(Z, -500, 500)))


def act_grad(Z, activation):
    if activation == "relu":
        return (Z > 0) * 1.0
    if activation == "tanh":
        return 1 - np.tanh(Z) ** 2
    s = act(Z, activation)
    return s * (1 - s)


def deep_forward(params, X, activation):
    L = len(params) // 2
    A = X
    As = [X]
    Zs = []
    for l in range(1, L + 1):
        Z = A @ params["W" + str(l)].T + params["b" + str(l)]
        Zs.append(Z)
        A = act(Z, activation)
        As.append(A)
    cache = {"As": As, "Zs": Zs, "activation": activation}
    return A, cache


def deep_backward(params, cache, dY_hat):
    As, Zs, activation = cache["As"], cache["Zs"], cache["activation"]
    L = len(Zs)
    grads = {}
    dZ = dY_hat
    for l in range(L, 0, -1):
        grads["W" + str(l)] = dZ.T @ As[l - 1]
        grads["b" + str(l)] = dZ.sum(axis=0)
        if l > 1:
            dA = dZ @ params["W" + str(l)]
            dZ = dA * act_grad(Zs[l - 2], activation)
    return grads


def gradient_norms(grads):
    L = len(grads) // 2
    return np.array([np.linalg.norm(grads["W" + str(l)]) for l in range(1, L + 1)])


def saturation(A, activation):
    if activation == "tanh":
        sat = np.abs(A) > 0.97
    elif activation == "sigmoid":
        sat = (A > 0.97) | (A < 0.03)
    else:
        sat = A == 0
    return float(sat.mean())


def clip_grad_norm(grads, max_norm):
    total = 0.0
    for g in grads.values():
        total += np.sum(g**2)
    total_norm = float(np.sqrt(total))
    factor = min(1.0, max_norm / (total_norm + 1e-6))
    clipped = {k: g * factor for k, g in grads.items()}
    return clipped, total_norm
