"""Reference solution, exercise 07: deep networks, vanishing and exploding gradients.

L linear layers, an activation after every one but the last:
A0 = X, Z_l = A_{l-1} @ W_l.T + b_l, A_l = act(Z_l) for l < L, Y_hat = Z_L.
The backward pass runs the layers in reverse, each upstream times local: dW_l = dZ_l.T @ A_{l-1},
db_l = sum of dZ_l, dA_{l-1} = dZ_l @ W_l, dZ_{l-1} = dA_{l-1} * act'(Z_{l-1}).
Self-contained: the steps are written inline, not imported.
"""

from typing import Any

import numpy as np

# the standard deviation of each scheme, from the layer's fan_in and fan_out
STDS = {
    "xavier": lambda fan_in, fan_out: np.sqrt(2.0 / fan_in),
    "he": lambda fan_in, fan_out: np.sqrt(2.0 / fan_in),
    "small": lambda fan_in, fan_out: 0.01,
    "unit": lambda fan_in, fan_out: 1.0,
}
# where a hidden unit counts as saturated (dead, for ReLU): its slope is (nearly) zero there
SATURATED = {
    "relu": lambda A: A == 0,
    "tanh": lambda A: np.abs(A) > 0.97,
    "sigmoid": lambda A: (A > 0.97) | (A < 0.03),
}


def init_weights(sizes: list[int], scheme: str, seed: int = 0) -> dict[str, np.ndarray]:
    """The parameters of an L-layer network, drawn from one generator.

    W_l ~ Normal(0, std) with shape (sizes[l], sizes[l-1]), drawn W1, W2, ... WL in that order
    from np.random.default_rng(seed); every b_l is zeros. fan_in = sizes[l-1],
    fan_out = sizes[l]; std is sqrt(2 / (fan_in + fan_out)) for "xavier",
    sqrt(2 / fan_in) for "he", 0.01 for "small" and 1.0 for "unit".

    Inputs:
    - sizes: the widths [D, H1, ..., C] of the L + 1 layers of units, input first
    - scheme: "xavier", "he", "small" or "unit"
    - seed: the seed of the random generator

    Returns:
    - params: a dict with "W1" .. "WL" and "b1" .. "bL", W_l (sizes[l], sizes[l-1]),
      b_l (sizes[l],), all float64
    """
    if scheme not in STDS:
        raise ValueError(f"unknown scheme {scheme!r}: one of {', '.join(STDS)}")
    rng = np.random.default_rng(seed)
    params = {}
    for layer in range(1, len(sizes)):
        fan_in, fan_out = sizes[layer - 1], sizes[layer]
        std = STDS[scheme](fan_in, fan_out)
        params[f"W{layer}"] = rng.normal(0.0, std, size=(fan_out, fan_in))
        params[f"b{layer}"] = np.zeros(fan_out)
    return params


def _activate(Z: np.ndarray, activation: str) -> np.ndarray:
    if activation == "relu":
        return np.maximum(Z, 0.0)
    if activation == "tanh":
        return np.tanh(Z)
    if activation == "sigmoid":
        e = np.exp(-np.abs(Z))  # never overflows
        return np.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    raise ValueError(f"unknown activation {activation!r}: relu, tanh or sigmoid")


def _slope(Z: np.ndarray, A: np.ndarray, activation: str) -> np.ndarray:
    """act'(Z), from Z or from A = act(Z), whichever is plainer."""
    if activation == "relu":
        return (Z > 0).astype(np.float64)  # the slope at exactly 0 is 0
    if activation == "tanh":
        return 1.0 - A**2
    return A * (1.0 - A)  # sigmoid


def deep_forward(
    params: dict[str, np.ndarray], X: np.ndarray, activation: str
) -> tuple[np.ndarray, Any]:
    """The forward pass of an L-layer network.

    Z_l = A_{l-1} @ W_l.T + b_l with A_0 = X; A_l = activation(Z_l) for every layer but the
    last, whose Z_L is the output Y_hat (the output layer is linear).

    Inputs:
    - params: a dict with "W1" .. "WL" and "b1" .. "bL", W_l (sizes[l], sizes[l-1])
    - X: inputs, shape (N, sizes[0])
    - activation: "relu", "tanh" or "sigmoid"

    Returns a tuple of:
    - Y_hat: the outputs, shape (N, sizes[L])
    - cache: what deep_backward needs (the activation, and each layer's input and Z)
    """
    L = len(params) // 2
    A, Zs = X, []
    for layer in range(1, L + 1):
        Z = A @ params[f"W{layer}"].T + params[f"b{layer}"]
        if layer < L:  # the output layer is linear
            Zs.append(Z)
            A = _activate(Z, activation)
    # each hidden A is activation(Z) again: X and the hidden Zs are all backward needs
    return Z, {"activation": activation, "X": X, "Zs": Zs}


def deep_backward(
    params: dict[str, np.ndarray], cache: Any, dY_hat: np.ndarray
) -> dict[str, np.ndarray]:
    """The backward pass of an L-layer network: the chain rule from Y_hat back to W1.

    From the last layer to the first: dW_l = dZ_l.T @ A_{l-1}, db_l = dZ_l summed over the
    batch, dA_{l-1} = dZ_l @ W_l, and dZ_{l-1} = dA_{l-1} * activation'(Z_{l-1}).

    Inputs:
    - params: a dict with "W1" .. "WL" and "b1" .. "bL"
    - cache: what deep_forward returned with Y_hat
    - dY_hat: upstream gradient dL/dY_hat, shape (N, sizes[L])

    Returns:
    - grads: a dict with the keys and shapes of params
    """
    activation, Zs = cache["activation"], cache["Zs"]
    As = [cache["X"], *(_activate(Z, activation) for Z in Zs)]  # the input of each layer
    grads = {}
    dZ = dY_hat  # the last layer is linear: dZ_L = dY_hat
    for layer in range(len(As), 0, -1):
        grads[f"W{layer}"] = dZ.T @ As[layer - 1]  # (sizes[l], sizes[l-1])
        grads[f"b{layer}"] = dZ.sum(axis=0)  # (sizes[l],)
        if layer > 1:
            dA = dZ @ params[f"W{layer}"]  # (N, sizes[l-1])
            dZ = dA * _slope(Zs[layer - 2], As[layer - 1], activation)
    return {key: grads[key] for key in params}  # in the order of params


def gradient_norms(grads: dict[str, np.ndarray]) -> np.ndarray:
    """The Frobenius norm of each layer's weight gradient, first layer first.

    Inputs:
    - grads: a dict with "W1" .. "WL" and "b1" .. "bL" (in any order)

    Returns:
    - norms: shape (L,), norms[l - 1] = sqrt(sum(dW_l**2))
    """
    L = sum(1 for key in grads if key.startswith("W"))
    return np.array([np.sqrt(np.sum(grads[f"W{layer}"] ** 2)) for layer in range(1, L + 1)])


def saturation(A: np.ndarray, activation: str) -> float:
    """The fraction of the units of a hidden activation A that are saturated.

    tanh: abs(A) > 0.97; sigmoid: A > 0.97 or A < 0.03; relu: A == 0 (a dead unit).

    Inputs:
    - A: a hidden layer's activations, any shape
    - activation: the activation that made A: "relu", "tanh" or "sigmoid"

    Returns:
    - fraction: a float in [0, 1]
    """
    return float(np.mean(SATURATED[activation](A)))


def clip_grad_norm(
    grads: dict[str, np.ndarray], max_norm: float
) -> tuple[dict[str, np.ndarray], float]:
    """Clip the gradients by their global norm, as torch.nn.utils.clip_grad_norm_.

    total_norm = sqrt(sum of g**2 over every element of every gradient); every gradient is
    multiplied by the same factor min(1, max_norm / (total_norm + 1e-6)).

    Inputs:
    - grads: a dict of gradient arrays (every dW and db)
    - max_norm: the largest global norm allowed, a positive float

    Returns a tuple of:
    - clipped: a new dict with the same keys and shapes
    - total_norm: a float, the global norm before clipping
    """
    total_norm = float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))
    factor = min(1.0, max_norm / (total_norm + 1e-6))
    return {key: g * factor for key, g in grads.items()}, total_norm
