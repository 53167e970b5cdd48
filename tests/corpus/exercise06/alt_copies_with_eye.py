"""Exercise 06, gradient checking: copies of x moved along the rows of an identity matrix."""

import numpy as np


def numeric_gradient(f, x, h=1e-5):
    flat = np.asarray(x, dtype=np.float64).reshape(-1)
    steps = np.eye(flat.size) * h
    grad = np.empty(flat.size)
    for i, step in enumerate(steps):
        up = (flat + step).reshape(np.shape(x))
        down = (flat - step).reshape(np.shape(x))
        grad[i] = (f(up) - f(down)) / (2 * h)
    return grad.reshape(np.shape(x))


def numeric_gradient_upstream(f, x, dout, h=1e-5):
    def loss(v):
        return np.sum(f(v) * dout)

    return numeric_gradient(loss, x, h)


def rel_error(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    denominator = np.maximum(1e-8, np.abs(a) + np.abs(b))
    return float((np.abs(a - b) / denominator).max())


def gradcheck(forward, backward, inputs, dout, h=1e-5):
    grads = backward(dout, *inputs)
    if not isinstance(grads, (tuple, list)):
        grads = [grads]
    result = []
    for i in range(len(inputs)):

        def only_i(v, i=i):
            args = [np.copy(a) for a in inputs]
            args[i] = v
            return forward(*args)

        numeric = numeric_gradient_upstream(only_i, np.copy(inputs[i]), dout, h)
        result.append(rel_error(grads[i], numeric))
    return tuple(result)
