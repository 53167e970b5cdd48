"""Gradient checking with a flat view of x, one index at a time, and a try/finally restore."""

import math

import numpy as np


def numeric_gradient(f, x, h=1e-5):
    view = x.reshape(-1)  # a view: writing into it moves x itself
    grad = np.zeros(view.size)
    for k in range(view.size):
        keep = view[k]
        try:
            view[k] = keep + h
            above = f(x)
            view[k] = keep - h
            below = f(x)
        finally:
            view[k] = keep
        grad[k] = (above - below) / h / 2
    return grad.reshape(x.shape)


def numeric_gradient_upstream(f, x, dout, h=1e-5):
    return numeric_gradient(lambda v: float((f(v) * dout).sum()), x, h=h)


def rel_error(a, b):
    if np.ndim(a) == 0 and np.ndim(b) == 0:
        a, b = float(a), float(b)
        return abs(a - b) / max(1e-8, abs(a) + abs(b))
    worst = 0.0
    for u, v in zip(np.ravel(a), np.ravel(b)):
        worst = max(worst, abs(u - v) / max(1e-8, abs(u) + abs(v)))
    return float(worst)


def gradcheck(forward, backward, inputs, dout, h=1e-5):
    analytic = backward(dout, *inputs)
    if isinstance(analytic, np.ndarray):
        analytic = (analytic,)
    figures = []
    for i in range(len(inputs)):
        point = np.array(inputs[i], dtype=float)
        rest = list(inputs)

        def f(v):
            rest[i] = v
            return forward(*rest)

        numeric = numeric_gradient_upstream(f, point, dout, h)
        figures.append(rel_error(analytic[i], numeric))
    assert not any(math.isnan(figure) for figure in figures)
    return tuple(figures)
