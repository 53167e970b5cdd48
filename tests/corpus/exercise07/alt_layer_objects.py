# A right answer written another way: a small Layer object per layer kept in the cache,
# standard normals scaled by a variance's square root, einsum, and a flattened clip.
import math

import numpy as np

VARIANCE = {
    "xavier": lambda n_in, n_out: 2.0 / (n_in + n_out),
    "he": lambda n_in, n_out: 2.0 / n_in,
    "small": lambda n_in, n_out: 0.01**2,
    "unit": lambda n_in, n_out: 1.0,
}


def init_weights(sizes, scheme, seed=0):
    gen = np.random.default_rng(seed)
    weights = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        weights.append(
            gen.standard_normal((n_out, n_in)) * math.sqrt(VARIANCE[scheme](n_in, n_out))
        )
    params = {}
    for i, W in enumerate(weights, start=1):
        params[f"W{i}"] = W
        params[f"b{i}"] = np.zeros(W.shape[0])
    return params


class Layer:
    def __init__(self, W, b, nonlinearity):
        self.W, self.b, self.nonlinearity = W, b, nonlinearity

    def forward(self, x):
        self.x = x
        self.z = np.einsum("nd,hd->nh", x, self.W) + self.b
        if self.nonlinearity is None:
            self.out = self.z
        elif self.nonlinearity == "relu":
            self.out = np.where(self.z > 0, self.z, 0.0)
        elif self.nonlinearity == "tanh":
            self.out = np.tanh(self.z)
        else:
            self.out = 0.5 * (1.0 + np.tanh(0.5 * self.z))  # the sigmoid, through tanh
        return self.out

    def backward(self, dout):
        if self.nonlinearity == "relu":
            dz = dout * (self.z > 0)
        elif self.nonlinearity == "tanh":
            dz = dout * (1.0 - self.out * self.out)
        elif self.nonlinearity == "sigmoid":
            dz = dout * self.out * (1.0 - self.out)
        else:
            dz = dout
        self.dW = np.einsum("nh,nd->hd", dz, self.x)
        self.db = np.einsum("nh->h", dz)
        return dz @ self.W


def deep_forward(params, X, activation):
    depth = len([k for k in params if k[0] == "W"])
    layers = [
        Layer(params[f"W{i}"], params[f"b{i}"], activation if i < depth else None)
        for i in range(1, depth + 1)
    ]
    out = X
    for layer in layers:
        out = layer.forward(out)
    return out, layers


def deep_backward(params, cache, dY_hat):
    grad = dY_hat
    for layer in reversed(cache):
        grad = layer.backward(grad)
    grads = {}
    for i, layer in enumerate(cache, start=1):
        grads[f"W{i}"] = layer.dW
        grads[f"b{i}"] = layer.db
    return grads


def gradient_norms(grads):
    layers = sorted((int(k[1:]), v) for k, v in grads.items() if k.startswith("W"))
    return np.array([math.sqrt(float(np.vdot(v, v))) for _, v in layers])


def saturation(A, activation):
    if activation == "relu":
        count = np.count_nonzero(A == 0)
    elif activation == "tanh":
        count = np.count_nonzero((A > 0.97) | (A < -0.97))
    else:
        count = np.count_nonzero(A > 0.97) + np.count_nonzero(A < 0.03)
    return count / A.size


def clip_grad_norm(grads, max_norm):
    flat = np.concatenate([g.ravel() for g in grads.values()])
    total_norm = float(np.linalg.norm(flat))
    scale = max_norm / (total_norm + 1e-6)
    if scale < 1:
        return {k: v * scale for k, v in grads.items()}, total_norm
    return {k: v.copy() for k, v in grads.items()}, total_norm
