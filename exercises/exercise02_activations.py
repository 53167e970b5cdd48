"""Exercise 02: activations and their slopes.

An activation is applied element by element, so every function here takes an array Z of any
shape (a batch (N, D), a single row (D,), anything) and returns an array of the same shape.
No loops and no reshaping are needed: NumPy's elementwise operations do it all.

Forward and backward
--------------------
A layer's forward pass computes A = f(Z). Its backward pass receives the *upstream* gradient
dA = dL/dA (same shape as A) and returns dZ = dL/dZ (same shape as Z). Because f acts on each
element alone, the chain rule is one elementwise product: upstream times local slope.

    dZ = dA * f'(Z)

    sigmoid  A = 1 / (1 + exp(-Z))    f'(Z) = s * (1 - s)      with s = sigmoid(Z)
    relu     A = max(Z, 0)            f'(Z) = 1 where Z > 0, else 0
    tanh     A = np.tanh(Z)           f'(Z) = 1 - tanh(Z)**2

The backward functions are given Z, the pre-activation (not A): compute what you need from it.
(Writing Z * (1 - Z) for the sigmoid's slope is a classic bug: that is the formula in terms of
the output s, applied to the input.)

Conventions that matter here
----------------------------
- Shapes: dA, Z, A and dZ all have the same shape.
- The ReLU slope at exactly Z = 0 is 0 (as in PyTorch): test Z > 0, not Z >= 0.
- Stability: sigmoid must stay finite and raise no NumPy warning for |Z| as large as 1000.
  Written naively, np.exp(-Z) overflows to inf at Z = -1000 (with a RuntimeWarning). Only ever
  exponentiate a number <= 0: for Z >= 0 use 1 / (1 + exp(-Z)); for Z < 0 use the equal
  exp(Z) / (1 + exp(Z)). np.exp(-np.abs(Z)) gives the exponential needed by both branches, and
  np.where picks the branch per element. (exp(-1000) is 0.0 in float64: that is the right
  answer, not an error.)
- No function modifies its arguments: never write Z[...] = ... or Z *= ...; return new arrays.
  Every array is float64.

Worked example (rounded to 4 decimals)
--------------------------------------
Z = [-2.0, 0.0, 3.0], upstream dA = [0.5, -1.0, 2.0]:

    sigmoid(Z)                = [0.1192, 0.5,    0.9526]
    local slope s(1 - s)      = [0.1050, 0.25,   0.0452]
    sigmoid_backward(dA, Z)   = [0.0525, -0.25,  0.0904]

    relu(Z)                   = [0.0,    0.0,    3.0]
    relu_backward(dA, Z)      = [0.0,    0.0,    2.0]     (Z = 0 gets slope 0)

    np.tanh(Z)                = [-0.9640, 0.0,   0.9951]
    local slope 1 - tanh**2   = [0.0707, 1.0,    0.0099]
    tanh_backward(dA, Z)      = [0.0353, -1.0,   0.0197]

    sigmoid([-1000.0, 1000.0]) = [0.0, 1.0], with no warning.

Checking your work
------------------
    bpgrade check exercise02     # grade this file, check by check
    bpgrade hint exercise02      # reveal the next hint when you are stuck
"""

import numpy as np


def sigmoid(Z: np.ndarray) -> np.ndarray:
    """The logistic function, elementwise and numerically stable.

    A = 1 / (1 + exp(-Z)), computed without overflow for |Z| up to 1000.

    Inputs:
    - Z: pre-activations, an array of any shape

    Returns:
    - A: an array of the same shape as Z, values in [0, 1]
    """
    # TODO: exponentiate only non-positive numbers (see "Stability" above).
    raise NotImplementedError("sigmoid: the logistic function, computed stably (see the docstring)")


def sigmoid_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """The backward pass of the sigmoid: upstream times the local slope.

    dZ = dA * s * (1 - s) with s = sigmoid(Z).

    Inputs:
    - dA: upstream gradient dL/dA, same shape as Z
    - Z: the pre-activations the forward pass was given, any shape

    Returns:
    - dZ: gradient dL/dZ, same shape as Z
    """
    # TODO: compute s from Z, then multiply the upstream gradient by the local slope.
    raise NotImplementedError("sigmoid_backward: upstream times the sigmoid's local slope")


def relu(Z: np.ndarray) -> np.ndarray:
    """The rectified linear unit, elementwise.

    A = max(Z, 0).

    Inputs:
    - Z: pre-activations, an array of any shape

    Returns:
    - A: an array of the same shape as Z
    """
    raise NotImplementedError("relu: the rectified linear unit, elementwise")


def relu_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """The backward pass of ReLU: the upstream gradient passes where Z > 0, else 0.

    dZ = dA * (Z > 0); the slope at exactly Z = 0 is 0.

    Inputs:
    - dA: upstream gradient dL/dA, same shape as Z
    - Z: the pre-activations the forward pass was given, any shape

    Returns:
    - dZ: gradient dL/dZ, same shape as Z
    """
    raise NotImplementedError("relu_backward: upstream times ReLU's local slope")


def tanh_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """The backward pass of tanh (the forward pass is np.tanh).

    dZ = dA * (1 - tanh(Z)**2).

    Inputs:
    - dA: upstream gradient dL/dA, same shape as Z
    - Z: the pre-activations the forward pass was given, any shape

    Returns:
    - dZ: gradient dL/dZ, same shape as Z
    """
    raise NotImplementedError("tanh_backward: upstream times tanh's local slope")
