"""Correct: np.take_along_axis to pick each row's label, dlogits built on a fresh probs array, MSE via einsum."""

import numpy as np


def mse_loss(Y_hat, Y):
    d = (Y_hat - Y).ravel()
    return float(np.einsum("i,i->", d, d) / d.size)


def mse_backward(Y_hat, Y):
    return (Y_hat - Y) * (2.0 / np.prod(Y.shape))


def softmax(Z):
    shifted = Z - np.max(Z, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


def softmax_cross_entropy(logits, labels):
    N = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_probs = shifted - log_norm
    picked = np.take_along_axis(log_probs, labels.reshape(-1, 1), axis=1)
    loss = -picked.mean()
    probs = softmax(logits)  # a new array, safe to edit
    probs[np.arange(N), labels] -= 1.0
    dlogits = probs / N
    return float(loss), dlogits
