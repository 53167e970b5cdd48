"""Exercise 04: losses and the output error.

A loss turns a batch of predictions into one number, and its backward pass produces the first
gradient of backpropagation: the *output error*, the upstream gradient every layer below
receives. Both losses here are means, so the 1/N lives here, and only here.

Mean squared error
------------------
For predictions Y_hat and targets Y of the same shape (N, C), the mean is over every element
(Y.size = N*C of them), not over the rows only:

    L = mean((Y_hat - Y)**2) = sum((Y_hat - Y)**2) / Y.size
    dL/dY_hat = 2 * (Y_hat - Y) / Y.size          shape (N, C), like Y_hat

Softmax
-------
For logits Z of shape (N, C), one row per example and one column per class, softmax turns each
row into probabilities:

    softmax(Z)[n, c] = exp(Z[n, c]) / sum_k exp(Z[n, k])          shape (N, C)

Subtracting any constant from a row leaves the result unchanged, so subtract the row's max
(Z.max(axis=1, keepdims=True)) first: the largest exponent becomes 0 and nothing can overflow,
even for logits of 1000. Do it on a new array (Z - m), never in place (Z -= m).

Cross-entropy on the softmax
----------------------------
labels has shape (N,) and holds the integer class index of each row. The loss is the mean over
the batch of the negative log-probability of the right class (as
torch.nn.functional.cross_entropy):

    L = -(1/N) * sum_n log softmax(Z)[n, labels[n]]

Taking np.log of a probability that underflowed to 0 gives -inf. Instead compute the log of
the softmax directly with the log-sum-exp trick, m being the row max:

    log softmax(Z)[n, c] = Z[n, c] - m[n] - log(sum_k exp(Z[n, k] - m[n]))

and pick each row's entry with fancy indexing: logp[np.arange(N), labels].

The gradient of the softmax and the log together is remarkably simple: the probabilities minus
the one-hot encoding of the labels, with the 1/N of the mean:

    dL/dZ = (softmax(Z) - onehot(labels)) / N                       shape (N, C)

Conventions that matter here
----------------------------
- mse_loss returns a float, softmax_cross_entropy returns the tuple (loss, dlogits) with loss
  a float.
- softmax and the cross-entropy stay finite and raise no NumPy warning for |logits| up to 1000.
- No function modifies its arguments; return new float64 arrays.

Worked example (rounded to 4 decimals)
--------------------------------------
    Y_hat = [[1.0, 2.0], [0.0, -1.0]],  Y = [[1.5, 2.0], [0.0, 0.0]]   (Y.size = 4)
    mse_loss = (0.25 + 0 + 0 + 1) / 4                          = 0.3125
    mse_backward = 2 * [[-0.5, 0.0], [0.0, -1.0]] / 4          = [[-0.25, 0.0], [0.0, -0.5]]

    logits = [[2.0, 1.0, 0.1], [0.0, 0.0, 0.0]],  labels = [0, 2]   (N = 2, C = 3)
    softmax(logits)     = [[0.6590, 0.2424, 0.0986], [0.3333, 0.3333, 0.3333]]
    log softmax(logits) = [[-0.4170, -1.4170, -2.3170], [-1.0986, -1.0986, -1.0986]]
    loss    = -(-0.4170 + -1.0986) / 2                         = 0.7578
    dlogits = ([[0.6590, 0.2424, 0.0986], [0.3333, 0.3333, 0.3333]]
               - [[1, 0, 0], [0, 0, 1]]) / 2
            = [[-0.1705, 0.1212, 0.0493], [0.1667, 0.1667, -0.3333]]

    Stability: logits = [[1000.0, 0.0, -1000.0]], labels = [2] gives softmax [[1.0, 0.0, 0.0]]
    and loss 2000.0 (= 1000 - (-1000)), with no warning.

Checking your work
------------------
    bpgrade check exercise04     # grade this file, check by check
    bpgrade hint exercise04      # reveal the next hint when you are stuck
"""

import numpy as np


def mse_loss(Y_hat: np.ndarray, Y: np.ndarray) -> float:
    """The mean squared error over every element.

    L = mean((Y_hat - Y)**2).

    Inputs:
    - Y_hat: predictions, shape (N, C)
    - Y: targets, shape (N, C)

    Returns:
    - loss: a float
    """
    raise NotImplementedError("mse_loss: the mean squared error over every element, a float")


def mse_backward(Y_hat: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """The gradient of mse_loss with respect to the predictions.

    dY_hat = 2 * (Y_hat - Y) / Y.size.

    Inputs:
    - Y_hat: predictions, shape (N, C)
    - Y: targets, shape (N, C)

    Returns:
    - dY_hat: gradient dL/dY_hat, shape (N, C)
    """
    raise NotImplementedError("mse_backward: the gradient of mse_loss with respect to Y_hat")


def softmax(Z: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for large logits.

    softmax(Z)[n, c] = exp(Z[n, c] - m[n]) / sum_k exp(Z[n, k] - m[n]), m the row max.

    Inputs:
    - Z: logits, shape (N, C)

    Returns:
    - P: probabilities, shape (N, C); each row sums to 1
    """
    # TODO: subtract the row max (keepdims=True) on a new array, exponentiate, normalize.
    raise NotImplementedError("softmax: subtract the row max, exponentiate, normalize each row")


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """The mean cross-entropy of the softmax, and its gradient with respect to the logits.

    loss = -mean_n log softmax(logits)[n, labels[n]]; dlogits = (softmax - onehot) / N.

    Inputs:
    - logits: scores, shape (N, C)
    - labels: integer class indices, shape (N,), each in [0, C)

    Returns a tuple of:
    - loss: a float, the mean over the batch
    - dlogits: gradient dL/dlogits, shape (N, C)
    """
    # TODO: log-sum-exp for log softmax, pick the labels' entries, then build the gradient.
    raise NotImplementedError("softmax_cross_entropy: compute (loss, dlogits) (see the docstring)")
