"""BPGRADE-HOSTILE submission for exercise01 (attack: exit_at_import).

A correct solution that calls sys.exit(0) while it is being imported: exit status 0, nothing
printed, as if everything went well. A grader that trusts the exit status of the process that
imported it, or that lets SystemExit escape, stops here. The grader must catch the exit (or
see the child end without a result), score 0 and say that the file called sys.exit.
"""

import math
import sys

sys.exit(0)


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
    return float(2.0 * (a - y)), float(a * (1.0 - a)), float(x)


def neuron_gradients(w: float, b: float, x: float, y: float) -> tuple[float, float]:
    dL_da, da_dz, dz_dw = local_derivatives(w, b, x, y)
    upstream = dL_da * da_dz
    return float(upstream * dz_dw), float(upstream * 1.0)


def descent_step(w: float, b: float, x: float, y: float, lr: float) -> tuple[float, float]:
    dL_dw, dL_db = neuron_gradients(w, b, x, y)
    return float(w - lr * dL_dw), float(b - lr * dL_db)
