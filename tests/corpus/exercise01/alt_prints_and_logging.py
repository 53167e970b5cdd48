"""Correct: prints debugging output and uses logging, also at import."""

import logging
import math

log = logging.getLogger(__name__)
logging.basicConfig(level=logging.DEBUG)


def sigmoid(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def neuron_loss(w, b, x, y):
    z = w * x + b
    a = sigmoid(z)
    L = (a - y) ** 2
    print(f"forward: z={z:.4f} a={a:.4f} L={L:.4f}")
    log.debug("neuron_loss(%r, %r, %r, %r) = %r", w, b, x, y, L)
    return float(L)


def local_derivatives(w, b, x, y):
    a = sigmoid(w * x + b)
    dL_da = 2.0 * (a - y)
    da_dz = a * (1.0 - a)
    dz_dw = x
    print("local derivatives:", dL_da, da_dz, dz_dw)
    return float(dL_da), float(da_dz), float(dz_dw)


def neuron_gradients(w, b, x, y):
    dL_da, da_dz, dz_dw = local_derivatives(w, b, x, y)
    dL_dw = dL_da * da_dz * dz_dw
    dL_db = dL_da * da_dz
    print("gradients:", dL_dw, dL_db)
    log.info("dL/dw=%.6f dL/db=%.6f", dL_dw, dL_db)
    return float(dL_dw), float(dL_db)


def descent_step(w, b, x, y, lr):
    dL_dw, dL_db = neuron_gradients(w, b, x, y)
    w_new, b_new = w - lr * dL_dw, b - lr * dL_db
    print(f"step: w {w:.4f} -> {w_new:.4f}, b {b:.4f} -> {b_new:.4f}")
    return float(w_new), float(b_new)


print("exercise01 loaded")
