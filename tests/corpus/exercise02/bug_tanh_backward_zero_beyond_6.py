"""Bug: slope set to 0 for |Z| > 6 (true slope at 6 is 2.5e-5, at 8 is 4.5e-7)."""

import numpy as np


def sigmoid(Z: np.ndarray) -> np.ndarray:
    """The logistic function, elementwise and numerically stable.

    A = 1 / (1 + exp(-Z)), computed without overflow for |Z| up to 1000.

    Inputs:
    - Z: pre-activations, an array of any shape

    Returns:
    - A: an array of the same shape as Z, values in [0, 1]
    """
    # e = exp(-|Z|) is in (0, 1]: it never overflows. For |Z| > ~745 it underflows to 0.0,
    # which is the correct float64 answer; say so, so that a caller running under
    # np.errstate(all="raise") is not stopped by it.
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(Z))
    # Z >= 0: 1 / (1 + exp(-Z)).  Z < 0: exp(Z) / (1 + exp(Z)), the same number.
    return np.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """The backward pass of the sigmoid: upstream times the local slope.

    dZ = dA * s * (1 - s) with s = sigmoid(Z).

    Inputs:
    - dA: upstream gradient dL/dA, same shape as Z
    - Z: the pre-activations the forward pass was given, any shape

    Returns:
    - dZ: gradient dL/dZ, same shape as Z
    """
    s = sigmoid(Z)
    local = s * (1.0 - s)
    return dA * local


def relu(Z: np.ndarray) -> np.ndarray:
    """The rectified linear unit, elementwise.

    A = max(Z, 0).

    Inputs:
    - Z: pre-activations, an array of any shape

    Returns:
    - A: an array of the same shape as Z
    """
    return np.maximum(Z, 0.0)


def relu_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """The backward pass of ReLU: the upstream gradient passes where Z > 0, else 0.

    dZ = dA * (Z > 0); the slope at exactly Z = 0 is 0.

    Inputs:
    - dA: upstream gradient dL/dA, same shape as Z
    - Z: the pre-activations the forward pass was given, any shape

    Returns:
    - dZ: gradient dL/dZ, same shape as Z
    """
    local = Z > 0  # the slope: 1 where Z > 0, 0 elsewhere (0 at exactly Z = 0)
    return np.where(local, dA, 0.0)


def tanh_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """The backward pass of tanh (the forward pass is np.tanh).

    dZ = dA * (1 - tanh(Z)**2).

    Inputs:
    - dA: upstream gradient dL/dA, same shape as Z
    - Z: the pre-activations the forward pass was given, any shape

    Returns:
    - dZ: gradient dL/dZ, same shape as Z
    """
    t = np.tanh(Z)
    local = np.where(np.abs(Z) > 6, 0.0, 1.0 - t**2)  # saturated
    return dA * local
