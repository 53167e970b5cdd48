# A right answer written another way: weights kept in lists, the cache a list of
# (input, pre-activation) pairs, derivatives from the pre-activations, sums written out.
import numpy as np


def init_weights(sizes, scheme, seed=0):
    rng = np.random.default_rng(seed)
    params = {}
    layer = 1
    while layer < len(sizes):
        n_in, n_out = sizes[layer - 1], sizes[layer]
        if scheme == "he":
            std = (2 / n_in) ** 0.5
        elif scheme == "xavier":
            std = np.sqrt(2) / np.sqrt(n_in + n_out)
        elif scheme == "small":
            std = 1e-2
        elif scheme == "unit":
            std = 1
        else:
            raise ValueError(scheme)
        params[f"W{layer}"] = rng.normal(loc=0, scale=std, size=[n_out, n_in])
        params[f"b{layer}"] = np.zeros((n_out,))
        layer += 1
    return params


def sigmoid(z):
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    e = np.exp(z[~pos])
    out[~pos] = e / (1 + e)
    return out


def nonlinear(z, kind):
    return {"relu": lambda: z * (z > 0), "tanh": lambda: np.tanh(z), "sigmoid": lambda: sigmoid(z)}[
        kind
    ]()


def slope(z, kind):
    if kind == "relu":
        return np.heaviside(z, 0.0)
    if kind == "tanh":
        return 1 / np.cosh(z) ** 2
    s = sigmoid(z)
    return s - s * s


def deep_forward(params, X, activation):
    n_layers = len(params) // 2
    steps = []
    h = X
    for i in range(n_layers):
        W, b = params["W%d" % (i + 1)], params["b%d" % (i + 1)]
        z = np.dot(h, W.T) + b[None, :]
        steps.append((h, z))
        h = nonlinear(z, activation) if i != n_layers - 1 else z
    return h, (steps, activation)


def deep_backward(params, cache, dY_hat):
    steps, activation = cache
    grads = {}
    delta = dY_hat.copy()
    for i in reversed(range(len(steps))):
        h, _ = steps[i]
        grads["W%d" % (i + 1)] = np.dot(delta.T, h)
        grads["b%d" % (i + 1)] = np.sum(delta, axis=0)
        if i > 0:
            delta = np.dot(delta, params["W%d" % (i + 1)]) * slope(steps[i - 1][1], activation)
    return {k: grads[k] for k in params}


def gradient_norms(grads):
    norms = []
    i = 1
    while "W%d" % i in grads:
        norms.append(np.sqrt((grads["W%d" % i] ** 2).sum()))
        i += 1
    return np.array(norms)


def saturation(A, activation):
    if activation == "tanh":
        mask = abs(A) > 0.97
    elif activation == "sigmoid":
        mask = np.logical_or(A > 0.97, A < 0.03)
    else:
        mask = A <= 0
    return mask.sum() / mask.size


def clip_grad_norm(grads, max_norm):
    squares = 0.0
    for name in grads:
        squares = squares + float((grads[name] * grads[name]).sum())
    total_norm = squares**0.5
    coef = max_norm / (total_norm + 1e-6)
    coef = min(coef, 1.0)
    clipped = {}
    for name in grads:
        clipped[name] = grads[name] * coef
    return clipped, total_norm
