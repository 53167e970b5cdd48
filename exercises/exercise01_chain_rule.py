"""Exercise 01: one neuron and the chain rule.

One neuron with one weight, one bias and a squared-error loss:

    z = w*x + b            (the pre-activation)
    a = sigmoid(z)         (the activation, sigmoid(z) = 1 / (1 + exp(-z)))
    L = (a - y)**2         (the loss against the target y)

Everything here is a Python float: no arrays yet.

The chain rule
--------------
L depends on w only through z and a: w -> z -> a -> L. The chain rule says the derivative
along that path is the product of the *local* derivatives, each of which looks only one step
back and treats the previous quantity as the variable:

    dL/da = 2(a - y)       (L as a function of a)
    da/dz = a(1 - a)       (the sigmoid's slope, written with its output a)
    dz/dw = x              (z as a function of w)
    dz/db = 1              (z as a function of b)

    dL/dw = dL/da * da/dz * dz/dw
    dL/db = dL/da * da/dz * dz/db

Backpropagation is nothing more than this product, computed from the loss backwards: the
factor dL/da * da/dz (the gradient arriving at z, "upstream") is shared by w and b.

One step of gradient descent moves each parameter against its gradient:

    w_new = w - lr * dL/dw
    b_new = b - lr * dL/db

Worked example (numbers rounded to 4 decimals)
----------------------------------------------
x = 2, y = 1, w = 0.5, b = 0.0, lr = 0.1:

    z = 0.5*2 + 0.0               = 1.0
    a = sigmoid(1.0)              = 0.7311
    L = (0.7311 - 1)**2           = 0.0723

    dL/da = 2(0.7311 - 1)         = -0.5379
    da/dz = 0.7311 * (1 - 0.7311) = 0.1966
    dz/dw = x                     = 2.0

    dL/dw = -0.5379 * 0.1966 * 2  = -0.2115
    dL/db = -0.5379 * 0.1966 * 1  = -0.1058

    w_new = 0.5 - 0.1 * (-0.2115) = 0.5212
    b_new = 0.0 - 0.1 * (-0.1058) = 0.0106

Both gradients are negative (raising w or b brings a closer to y = 1), so the step raises
both. With the new parameters z = 1.0529, a = 0.7413 and L = 0.0669: the loss went down.

Conventions
-----------
- Arguments and results are Python floats; NumPy scalars are accepted as arguments. Return
  plain floats (wrap a result in float(...) if in doubt).
- The functions only compute: they change nothing outside themselves.
- `sigmoid` below is given to you (it is not graded): use it for a = sigmoid(z).

Checking your work
------------------
    bpgrade check exercise01     # grade this file, check by check
    bpgrade hint exercise01      # reveal the next hint when you are stuck
"""

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
    # TODO: compute z, then a, then L.
    raise NotImplementedError("neuron_loss: compute z, a and L (see the docstring)")


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
    # TODO: run the forward pass to get a, then write each local derivative.
    raise NotImplementedError("local_derivatives: compute dL_da, da_dz and dz_dw")


def neuron_gradients(w: float, b: float, x: float, y: float) -> tuple[float, float]:
    """The gradients of L with respect to w and b, by the chain rule.

    dL/dw = dL/da * da/dz * dz/dw and dL/db = dL/da * da/dz * 1.

    Inputs:
    - w, b, x, y: floats, as in neuron_loss

    Returns a tuple of:
    - dL_dw: a float
    - dL_db: a float
    """
    # TODO: multiply the local derivatives along each path.
    raise NotImplementedError("neuron_gradients: multiply the local derivatives (chain rule)")


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
    # TODO: use your neuron_gradients, then step against the gradient.
    raise NotImplementedError("descent_step: step w and b against their gradients")
