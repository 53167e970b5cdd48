"""BPGRADE-HOSTILE submission for exercise01 (attack: infinite_recursion).

Everything is the reference solution except descent_step, which "refines" the step by calling
itself with a counter that counts up and so never reaches its base case: RecursionError after
about a thousand frames. Nothing else calls descent_step, so the other functions are right.
The grader must survive the RecursionError (and a traceback a thousand frames deep), fail
descent_step.w and descent_step.b, and say it was a recursion.
"""

import math


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def neuron_loss(w: float, b: float, x: float, y: float) -> float:
    z = w * x + b
    a = sigmoid(z)
    return float((a - y) ** 2)


def local_derivatives(w: float, b: float, x: float, y: float) -> tuple[float, float, float]:
    z = w * x + b
    a = sigmoid(z)
    dL_da = 2.0 * (a - y)
    da_dz = a * (1.0 - a)
    dz_dw = x
    return float(dL_da), float(da_dz), float(dz_dw)


def neuron_gradients(w: float, b: float, x: float, y: float) -> tuple[float, float]:
    dL_da, da_dz, dz_dw = local_derivatives(w, b, x, y)
    upstream = dL_da * da_dz
    return float(upstream * dz_dw), float(upstream * 1.0)


def descent_step(
    w: float, b: float, x: float, y: float, lr: float, steps_left: int = 1
) -> tuple[float, float]:
    if steps_left == 0:
        return float(w), float(b)
    dL_dw, dL_db = neuron_gradients(w, b, x, y)
    # the bug: steps_left + 1 where steps_left - 1 was meant, so the base case never comes
    return descent_step(w - lr * dL_dw, b - lr * dL_db, x, y, lr, steps_left + 1)
