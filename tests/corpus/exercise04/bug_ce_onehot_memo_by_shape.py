"""Bug: one-hot matrix memoised per logits.shape: a second call with the same shape uses the first call's labels."""

import numpy as np

_ONEHOT = {}  # shape -> one-hot matrix


def mse_loss(Y_hat: np.ndarray, Y: np.ndarray) -> float:
    """The mean squared error over every element.

    L = mean((Y_hat - Y)**2).

    Inputs:
    - Y_hat: predictions, shape (N, C)
    - Y: targets, shape (N, C)

    Returns:
    - loss: a float
    """
    return float(np.mean((Y_hat - Y) ** 2))


def mse_backward(Y_hat: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """The gradient of mse_loss with respect to the predictions.

    dY_hat = 2 * (Y_hat - Y) / Y.size.

    Inputs:
    - Y_hat: predictions, shape (N, C)
    - Y: targets, shape (N, C)

    Returns:
    - dY_hat: gradient dL/dY_hat, shape (N, C)
    """
    return 2.0 * (Y_hat - Y) / Y.size


def softmax(Z: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for large logits.

    softmax(Z)[n, c] = exp(Z[n, c] - m[n]) / sum_k exp(Z[n, k] - m[n]), m the row max.

    Inputs:
    - Z: logits, shape (N, C)

    Returns:
    - P: probabilities, shape (N, C); each row sums to 1
    """
    shifted = Z - Z.max(axis=1, keepdims=True)  # a new array; the largest entry is 0
    # exp of a very negative number underflows to 0.0, the correct float64 answer.
    with np.errstate(under="ignore"):
        e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


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
    N = logits.shape[0]
    rows = np.arange(N)
    shifted = logits - logits.max(axis=1, keepdims=True)
    with np.errstate(under="ignore"):
        log_sum_exp = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_probs = shifted - log_sum_exp  # log softmax, never log(0)
    loss = -np.mean(log_probs[rows, labels])

    if logits.shape not in _ONEHOT:
        onehot = np.zeros_like(logits, dtype=np.float64)
        onehot[rows, labels] = 1.0
        _ONEHOT[logits.shape] = onehot
    onehot = _ONEHOT[logits.shape]
    dlogits = (softmax(logits) - onehot) / N
    return float(loss), dlogits
