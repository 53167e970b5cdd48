"""Gradient checking, as CS231n does it: np.nditer over x, perturbed in place, old value put back."""

import numpy as np


def numeric_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        oldval = x[ix]
        x[ix] = oldval + h
        fxph = f(x)
        x[ix] = oldval - h
        fxmh = f(x)
        x[ix] = oldval
        grad[ix] = (fxph - fxmh) / (2 * h)
        it.iternext()
    return grad


def numeric_gradient_upstream(f, x, dout, h=1e-5):
    grad = np.zeros_like(x, dtype=float)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        oldval = x[ix]
        x[ix] = oldval + h
        pos = f(x).copy()
        x[ix] = oldval - h
        neg = f(x).copy()
        x[ix] = oldval
        grad[ix] = np.sum((pos - neg) * dout) / (2 * h)
        it.iternext()
    return grad


def rel_error(a, b):
    num = np.abs(np.subtract(a, b, dtype=float))
    den = np.abs(a) + np.abs(b)
    return float(np.max(num / np.maximum(den, 1e-8)))


def gradcheck(forward, backward, inputs, dout, h=1e-5):
    grads = backward(dout, *inputs)
    if len(inputs) == 1 and not isinstance(grads, (tuple, list)):
        grads = (grads,)
    inputs = [x.copy() for x in inputs]  # ours to perturb
    errors = []
    for i, x in enumerate(inputs):

        def fi(xi):
            return forward(*inputs[:i], xi, *inputs[i + 1 :])

        errors.append(rel_error(grads[i], numeric_gradient_upstream(fi, x, dout, h)))
    return tuple(errors)
