"""Exercise 07: deep networks, vanishing and exploding gradients.

Stack the layer of exercise 05 L times and watch what the gradients do on the way back:

    X -> linear(W1, b1) -> act -> linear(W2, b2) -> act -> ... -> linear(WL, bL) -> Y_hat

`sizes` = [D, H1, ..., H_{L-1}, C] lists the widths, input first. The parameters live in a
dict, laid out as PyTorch's nn.Linear (W is (D_out, D_in)):

    params["Wl"]: (sizes[l], sizes[l-1])    params["bl"]: (sizes[l],)    for l = 1 .. L

Forward
-------
    A0   = X                                  (N, sizes[0])
    Zl   = A{l-1} @ Wl.T + bl                 (N, sizes[l])
    Al   = act(Zl)       for l = 1 .. L-1     act is "relu", "tanh" or "sigmoid"
    Y_hat = ZL                                the last layer is linear: no activation after it

The forward pass returns Y_hat and a cache: whatever your backward pass needs. Note that
deep_backward is not told the activation: keep it in the cache.

Backward
--------
The same three steps as exercise 05, once per layer, from the last to the first:

    dZL = dY_hat
    dWl = dZl.T @ A{l-1}          (sizes[l], sizes[l-1])
    dbl = dZl summed over the batch (sizes[l],)
    dA{l-1} = dZl @ Wl            (N, sizes[l-1])
    dZ{l-1} = dA{l-1} * act'(Z{l-1})

with act' the slopes of exercise 02: relu' = (Z > 0), tanh' = 1 - tanh(Z)**2,
sigmoid' = s * (1 - s). Each layer multiplies the gradient by a W and by a slope: when these
are mostly below 1 the gradient shrinks layer after layer (it vanishes: the first layers stop
learning), when they are mostly above 1 it grows (it explodes).

Initialization: keeping the signal's size
------------------------------------------
init_weights draws every W from a normal with mean 0 and a standard deviation that depends on
the scheme, fan_in = sizes[l-1] (the layer's inputs) and fan_out = sizes[l] (its outputs):

    "xavier"   sqrt(2 / (fan_in + fan_out))    Glorot, for tanh and sigmoid
    "he"       sqrt(2 / fan_in)                 for ReLU (it zeroes half the units)
    "small"    0.01                             the signal shrinks: gradients vanish
    "unit"     1.0                              the signal grows: gradients explode

Draw with ONE generator, rng = np.random.default_rng(seed), and one call per layer,
W1 first, then W2, ..., each with the shape it has in params:

    rng.normal(0.0, std, size=(fan_out, fan_in))

so that every correct solution draws exactly the same numbers. Biases are zeros. (Xavier's
uniform variant draws from U(-a, a) with a = sqrt(6 / (fan_in + fan_out)); that a is a bound,
not a standard deviation: here the draw is normal.)

Measuring: gradient_norms and saturation
----------------------------------------
gradient_norms(grads) gives one number per layer, the Frobenius norm of dWl (the square root
of the sum of its squared elements), layer 1 first: a vanishing gradient is a row of norms
that fall by a factor at each layer towards the input. Take the keys by layer number, not in
the order the dict happens to hold them (a backward pass fills it from the last layer).

saturation(A, activation) is the fraction of a hidden layer's units whose slope is (nearly)
zero, so that almost no gradient flows through them:

    tanh     abs(A) > 0.97
    sigmoid  A > 0.97  or  A < 0.03
    relu     A == 0     (a dead unit)

Clipping: keeping a step's size
-------------------------------
clip_grad_norm(grads, max_norm) does what torch.nn.utils.clip_grad_norm_ does. One norm for
all the gradients together, every element of every dW and db:

    total_norm = sqrt(sum over every gradient g of sum(g**2))
    factor     = min(1, max_norm / (total_norm + 1e-6))
    clipped[k] = grads[k] * factor        the same factor for every key

Every gradient is scaled by the same factor, so the direction of the whole step is kept and
only its length is capped; gradients already short enough (total_norm below max_norm) are
left as they are, in a new dict of new arrays.

Conventions that matter here
----------------------------
- Arrays are float64, batch first; Z = X @ W.T + b; no layer divides by N.
- No function modifies its arguments; return new arrays and new dicts.
- Networks of 10 layers and more are graded: find L from the keys of params (or the cache).

Worked example (N = 1, sizes = [2, 2, 2, 1], activation "relu")
----------------------------------------------------------------
    X  = [[1.0, 2.0]]
    W1 = [[1.0, -1.0], [0.5, 0.5]],  b1 = [0.0, -1.0]
    W2 = [[1.0, 2.0], [-1.0, 1.0]],  b2 = [0.0, 0.25]
    W3 = [[2.0, -1.0]],              b3 = [0.5]

    Z1 = [[-1.0, 0.5]],  A1 = [[0.0, 0.5]]
    Z2 = [[1.0, 0.75]],  A2 = [[1.0, 0.75]]
    Y_hat = Z3 = [[1.75]]                       (no ReLU after the last layer)

    With dY_hat = [[1.0]]:
    dW3 = [[1.0, 0.75]],  db3 = [1.0],  dA2 = [[2.0, -1.0]],  dZ2 = [[2.0, -1.0]]
    dW2 = [[0.0, 1.0], [0.0, -0.5]],  db2 = [2.0, -1.0],  dA1 = [[3.0, 3.0]]
    dZ1 = [[0.0, 3.0]]                          (the first hidden unit is off: Z1 < 0)
    dW1 = [[0.0, 0.0], [3.0, 6.0]],  db1 = [0.0, 3.0]

    gradient_norms = [sqrt(45), sqrt(1.25), 1.25] = [6.7082, 1.1180, 1.25]
    saturation(A1, "relu") = 0.5                (one of its two units is dead)
    clip_grad_norm(grads, 1.0): total_norm = sqrt(62.8125) = 7.9254, factor = 0.12618,
    so clipped["W1"] = [[0.0, 0.0], [0.37853, 0.75706]]; with max_norm = 10.0 the factor
    is 1 and every gradient comes back unchanged (as a new array).

    init_weights([3, 4, 2], "he", seed=0): std sqrt(2/3) for W1 (4, 3), then sqrt(2/4) for
    W2 (2, 4); default_rng(0)'s first normals are 0.12573, -0.13210, 0.64042, so
    W1[0] = [0.10266, -0.10786, 0.52290].

Checking your work
------------------
    bpgrade check exercise07     # grade this file, check by check
    bpgrade hint exercise07      # reveal the next hint when you are stuck

The check deep_picture runs your functions together on ten-layer networks, each activation
under an initialization that suits it and one that does not. `bpgrade check exercise07 --json`
gives its numbers (under "data": each layer's gradient norm and each hidden layer's
saturation), to plot: vanishing is a row of norms falling towards layer 1.
"""

from typing import Any

import numpy as np


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
    # TODO: one generator; for each layer its fan_in, fan_out and std, then one draw.
    raise NotImplementedError(
        "init_weights: one generator, one draw per layer in order (see the docstring)"
    )


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
    # TODO: loop over the layers; no activation after the last one. Keep a cache.
    raise NotImplementedError(
        "deep_forward: every layer linear, the activation between them; keep a cache"
    )


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
    # TODO: from the last layer to the first (see "Backward" above).
    raise NotImplementedError("deep_backward: walk the layers in reverse (see the docstring)")


def gradient_norms(grads: dict[str, np.ndarray]) -> np.ndarray:
    """The Frobenius norm of each layer's weight gradient, first layer first.

    Inputs:
    - grads: a dict with "W1" .. "WL" and "b1" .. "bL" (in any order)

    Returns:
    - norms: shape (L,), norms[l - 1] = sqrt(sum(dW_l**2))
    """
    raise NotImplementedError("gradient_norms: one norm per layer, layer 1 first")


def saturation(A: np.ndarray, activation: str) -> float:
    """The fraction of the units of a hidden activation A that are saturated.

    tanh: abs(A) > 0.97; sigmoid: A > 0.97 or A < 0.03; relu: A == 0 (a dead unit).

    Inputs:
    - A: a hidden layer's activations, any shape
    - activation: the activation that made A: "relu", "tanh" or "sigmoid"

    Returns:
    - fraction: a float in [0, 1]
    """
    raise NotImplementedError(
        "saturation: the fraction of saturated units (see the thresholds above)"
    )


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
    # TODO: one norm over every gradient, one factor for all of them.
    raise NotImplementedError("clip_grad_norm: the global norm, then one factor for every gradient")
