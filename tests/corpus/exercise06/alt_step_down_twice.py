"""Exercise 06. Each element moved up by h, then down by 2h, then given its saved value back."""

import numpy as np


def numeric_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=float)
    for index in np.ndindex(*x.shape):
        original = x[index]
        x[index] += h
        up = f(x)
        x[index] -= 2 * h  # x[index] - h, give or take an ulp
        down = f(x)
        x[index] = original
        grad[index] = 0.5 * (up - down) / h
    return grad


def numeric_gradient_upstream(f, x, dout, h=1e-5):
    dout = np.asarray(dout, dtype=float)
    return numeric_gradient(lambda z: np.vdot(f(z), dout), x, h)


def rel_error(a, b):
    a = np.array(a, dtype=float, ndmin=1)
    b = np.array(b, dtype=float, ndmin=1)
    return float(np.amax(np.abs(a - b) / np.clip(np.abs(a) + np.abs(b), 1e-8, None)))


def gradcheck(forward, backward, inputs, dout, h=1e-5):
    analytic = backward(dout, *inputs)
    if isinstance(analytic, np.ndarray):
        analytic = (analytic,)
    out = []
    for i, given in enumerate(inputs):
        mine = [np.array(v, dtype=float) for v in inputs]

        def fn(z):
            mine[i] = z
            return forward(*mine)

        out.append(rel_error(analytic[i], numeric_gradient_upstream(fn, mine[i].copy(), dout, h)))
    return tuple(out)
