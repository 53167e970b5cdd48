"""Exercise 05: a network with one hidden layer.

Put the pieces of exercises 02 to 04 together into a network and train it:

    X -> linear(W1, b1) -> ReLU -> linear(W2, b2) -> Y_hat, trained with mse_loss

The parameters live in a dict, laid out as PyTorch's nn.Linear (W is (D_out, D_in)):

    params["W1"]: (H, D)    params["b1"]: (H,)
    params["W2"]: (C, H)    params["b2"]: (C,)

with N examples, D input features, H hidden units and C outputs.

Forward
-------
    Z1    = X @ W1.T + b1      (N, H)
    A1    = relu(Z1)           (N, H)
    Y_hat = A1 @ W2.T + b2     (N, C)

The forward pass returns Y_hat and a *cache*: whatever your backward pass will need (X, Z1 and
A1 are enough). The cache is yours: a tuple or a dict, as you like.

Backward
--------
The backward pass receives the output error dY_hat = dL/dY_hat, shape (N, C) (for the MSE it is
2 * (Y_hat - Y) / Y.size, the 1/size of the mean included), and walks the graph in reverse.
Each step is one backward function you have already written: upstream times local.

    second linear layer:  dY_hat -> dW2 (C, H), db2 (C,), dA1 (N, H)
    ReLU:                 dA1    -> dZ1 (N, H)          (the slope at Z1 = 0 is 0)
    first linear layer:   dZ1    -> dW1 (H, D), db1 (H,)   (dX is not needed)

No step divides by N: the output error already carries the 1/size of the loss.

Training
--------
    init_params   He initialization: each W from a normal with standard deviation
                  sqrt(2 / fan_in), where fan_in is the layer's input size (D for W1, H for W2).
                  Use rng = np.random.default_rng(seed) and draw W1 first, then W2:
                  rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape). Biases are zeros.
    sgd_step      a NEW dict {k: params[k] - lr * grads[k]}; params and grads stay unchanged
                  (params[k] -= ... would change the caller's arrays).
    train_step    forward, mse_loss, backward, sgd_step; return the new params and the loss
                  computed before the update.

Reusing your earlier work
-------------------------
You may import your own functions from the earlier exercises (bpgrade puts the exercises folder
on sys.path), for example

    from exercise02_activations import relu, relu_backward
    from exercise03_linear import linear_forward, linear_backward
    from exercise04_losses import mse_loss, mse_backward

or write the few lines inline. Importing only works once those exercises are done.

Conventions that matter here
----------------------------
- Arrays are float64, batch first; Z = X @ W.T + b.
- No function modifies its arguments; return new arrays and new dicts.

Worked example (N = 1, D = 2, H = 2, C = 1)
-------------------------------------------
    X = [[1.0, 2.0]],  Y = [[2.0]]
    W1 = [[1.0, -1.0], [0.5, 0.5]],  b1 = [0.0, -1.0],  W2 = [[1.0, 2.0]],  b2 = [0.5]

    Z1 = [[-1.0, 0.5]],  A1 = [[0.0, 0.5]],  Y_hat = [[1.5]]
    loss = (1.5 - 2.0)**2 = 0.25,  dY_hat = 2 * (1.5 - 2.0) / 1 = [[-1.0]]

    dW2 = [[0.0, -0.5]],  db2 = [-1.0],  dA1 = [[-1.0, -2.0]]
    dZ1 = [[0.0, -2.0]]                       (the first hidden unit is off: Z1 < 0)
    dW1 = [[0.0, 0.0], [-2.0, -4.0]],  db1 = [0.0, -2.0]

    One train_step with lr = 0.01:
    W1 = [[1.0, -1.0], [0.52, 0.54]],  b1 = [0.0, -0.98],  W2 = [[1.0, 2.005]],  b2 = [0.51]
    and it returns loss 0.25. With the new params Y_hat = [[1.7531]] and the loss is 0.0610.

Checking your work
------------------
    bpgrade check exercise05     # grade this file, check by check
    bpgrade hint exercise05      # reveal the next hint when you are stuck
"""

from typing import Any

import numpy as np


def init_params(D: int, H: int, C: int, seed: int = 0) -> dict[str, np.ndarray]:
    """He initialization of the two layers, reproducible from the seed.

    W ~ Normal(0, sqrt(2 / fan_in)), drawn W1 then W2 from np.random.default_rng(seed); b = 0.

    Inputs:
    - D: the number of input features
    - H: the number of hidden units
    - C: the number of outputs
    - seed: the seed of the random generator

    Returns:
    - params: a dict with "W1" (H, D), "b1" (H,), "W2" (C, H), "b2" (C,), all float64
    """
    raise NotImplementedError("init_params: draw W1 then W2 with std sqrt(2 / fan_in); zero biases")


def two_layer_forward(params: dict[str, np.ndarray], X: np.ndarray) -> tuple[np.ndarray, Any]:
    """The forward pass of the network.

    Y_hat = relu(X @ W1.T + b1) @ W2.T + b2.

    Inputs:
    - params: a dict with "W1" (H, D), "b1" (H,), "W2" (C, H), "b2" (C,)
    - X: inputs, shape (N, D)

    Returns a tuple of:
    - Y_hat: predictions, shape (N, C)
    - cache: what two_layer_backward needs (for example X, Z1 and A1)
    """
    raise NotImplementedError("two_layer_forward: compute Z1, A1 and Y_hat; keep a cache")


def two_layer_backward(
    params: dict[str, np.ndarray], cache: Any, dY_hat: np.ndarray
) -> dict[str, np.ndarray]:
    """The backward pass of the network: the chain rule from Y_hat back to W1.

    Second linear layer, then ReLU, then first linear layer, each upstream times local.

    Inputs:
    - params: a dict with "W1" (H, D), "b1" (H,), "W2" (C, H), "b2" (C,)
    - cache: what two_layer_forward returned with Y_hat
    - dY_hat: upstream gradient dL/dY_hat, shape (N, C)

    Returns:
    - grads: a dict with "W1" (H, D), "b1" (H,), "W2" (C, H), "b2" (C,)
    """
    # TODO: dW2, db2, dA1 -> dZ1 -> dW1, db1 (see "Backward" above).
    raise NotImplementedError("two_layer_backward: compute the four gradients (see the docstring)")


def sgd_step(
    params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: float
) -> dict[str, np.ndarray]:
    """One step of stochastic gradient descent, returned as a new dict.

    new[k] = params[k] - lr * grads[k] for every key k.

    Inputs:
    - params: a dict of arrays
    - grads: a dict with the same keys and shapes as params
    - lr: the learning rate, a positive float

    Returns:
    - new_params: a new dict with the same keys and shapes; params and grads are unchanged
    """
    raise NotImplementedError("sgd_step: one step against the gradients, as a new dict")


def train_step(
    params: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray, lr: float
) -> tuple[dict[str, np.ndarray], float]:
    """One training step: forward, mse_loss, backward, sgd_step.

    dY_hat = 2 * (Y_hat - Y) / Y.size starts the backward pass; loss is taken before the update.

    Inputs:
    - params: a dict with "W1" (H, D), "b1" (H,), "W2" (C, H), "b2" (C,)
    - X: inputs, shape (N, D)
    - Y: targets, shape (N, C)
    - lr: the learning rate, a positive float

    Returns a tuple of:
    - new_params: a new params dict after one SGD step
    - loss: a float, the MSE loss of params (before the step)
    """
    raise NotImplementedError("train_step: forward, loss, backward, sgd_step (in that order)")
