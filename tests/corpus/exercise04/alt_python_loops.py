"""Correct: explicit loops over rows and elements with the math module (max subtracted per row)."""

import math

import numpy as np


def mse_loss(Y_hat, Y):
    total = 0.0
    count = 0
    for idx in np.ndindex(Y.shape):
        d = float(Y_hat[idx]) - float(Y[idx])
        total += d * d
        count += 1
    return total / count


def mse_backward(Y_hat, Y):
    dY_hat = np.empty(Y.shape)
    for idx in np.ndindex(Y.shape):
        dY_hat[idx] = 2.0 * (Y_hat[idx] - Y[idx]) / Y.size
    return dY_hat


def _softmax_row(row):
    m = max(row)
    exps = [math.exp(v - m) for v in row]
    total = sum(exps)
    return [e / total for e in exps]


def softmax(Z):
    out = np.empty(Z.shape)
    for i in range(Z.shape[0]):
        out[i] = _softmax_row([float(v) for v in Z[i]])
    return out


def softmax_cross_entropy(logits, labels):
    N, C = logits.shape
    loss = 0.0
    dlogits = np.empty((N, C))
    for i in range(N):
        row = [float(v) for v in logits[i]]
        m = max(row)
        lse = m + math.log(sum(math.exp(v - m) for v in row))
        k = int(labels[i])
        loss += lse - row[k]
        for j in range(C):
            p = math.exp(row[j] - lse)
            dlogits[i, j] = (p - (1.0 if j == k else 0.0)) / N
    return loss / N, dlogits
