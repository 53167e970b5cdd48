"""Bug: neuron_loss uses 1/(1+math.exp(-z)) inline: OverflowError for z <= -710 (e.g. w=-800, x=1); the contract keeps sigmoid finite to |z| = 1000."""

import math


def sigmoid(z: float) -> float:
    """Given helper (not graded): the logistic function 1 / (1 + exp(-z)).

    Split by sign so that math.exp never sees a large positive argument (it would raise
    OverflowError for z = -1000).

    Inputs:
    - z: a float

    Returns:
    - a: a float in [0, 1]
    """
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def neuron_loss(w: float, b: float, x: float, y: float) -> float:
    """The forward pass of one neuron: z = w*x + b, a = sigmoid(z), L = (a - y)**2.

    Inputs:
    - w: the weight, a float
    - b: the bias, a float
    - x: the input, a float
    - y: the target, a float

    Returns:
    - L: the loss, a float
    """
    z = w * x + b
    a = 1.0 / (1.0 + math.exp(-z))
    return float((a - y) ** 2)


def local_derivatives(w: float, b: float, x: float, y: float) -> tuple[float, float, float]:
    """The three local derivatives on the path w -> z -> a -> L.

    dL/da = 2(a - y), da/dz = a(1 - a), dz/dw = x.

    Inputs:
    - w, b, x, y: floats, as in neuron_loss

    Returns a tuple of:
    - dL_da: a float
    - da_dz: a float
    - dz_dw: a float
    """
    z = w * x + b
    a = sigmoid(z)
    dL_da = 2.0 * (a - y)
    da_dz = a * (1.0 - a)
    dz_dw = x
    return float(dL_da), float(da_dz), float(dz_dw)


def neuron_gradients(w: float, b: float, x: float, y: float) -> tuple[float, float]:
    """The gradients of L with respect to w and b, by the chain rule.

    dL/dw = dL/da * da/dz * dz/dw and dL/db = dL/da * da/dz * 1.

    Inputs:
    - w, b, x, y: floats, as in neuron_loss

    Returns a tuple of:
    - dL_dw: a float
    - dL_db: a float
    """
    dL_da, da_dz, dz_dw = local_derivatives(w, b, x, y)
    upstream = dL_da * da_dz  # dL/dz, shared by w and b
    dL_dw = upstream * dz_dw
    dL_db = upstream * 1.0  # dz/db = 1
    return float(dL_dw), float(dL_db)


def descent_step(w: float, b: float, x: float, y: float, lr: float) -> tuple[float, float]:
    """One step of gradient descent on (w, b): each moves against its gradient.

    w_new = w - lr * dL/dw and b_new = b - lr * dL/db.

    Inputs:
    - w, b, x, y: floats, as in neuron_loss
    - lr: the learning rate, a positive float

    Returns a tuple of:
    - w_new: a float
    - b_new: a float
    """
    dL_dw, dL_db = neuron_gradients(w, b, x, y)
    return float(w - lr * dL_dw), float(b - lr * dL_db)
