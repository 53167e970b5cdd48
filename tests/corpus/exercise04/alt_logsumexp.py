"""Correct: a hand-written row-wise logsumexp; softmax = exp(Z - logsumexp(Z)); one-hot from np.eye."""

import numpy as np


def _logsumexp(Z):
    m = Z.max(axis=1, keepdims=True)
    return m + np.log(np.exp(Z - m).sum(axis=1, keepdims=True))


def mse_loss(Y_hat, Y):
    return float(np.mean(np.square(Y_hat - Y)))


def mse_backward(Y_hat, Y):
    return 2.0 * (Y_hat - Y) / Y.size


def softmax(Z):
    return np.exp(Z - _logsumexp(Z))


def softmax_cross_entropy(logits, labels):
    N, C = logits.shape
    log_probs = logits - _logsumexp(logits)
    onehot = np.eye(C)[labels]
    loss = -np.sum(onehot * log_probs) / N
    dlogits = (np.exp(log_probs) - onehot) / N
    return float(loss), dlogits
