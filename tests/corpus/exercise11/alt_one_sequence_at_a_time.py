"""Exercise 11 one sequence at a time, in 2-D matrices, with a cache of the forward's
intermediates and a one-hot matrix for the embedding's backward (a learner's file)."""

import math

import numpy as np


def embedding_forward(idx, W):
    out = np.empty(idx.shape + (W.shape[1],))
    for b in range(idx.shape[0]):
        out[b] = W[idx[b]]
    return out


def embedding_backward(dOut, idx, V):
    flat = idx.reshape(-1)
    onehot = np.zeros((flat.size, V))
    onehot[np.arange(flat.size), flat] = 1.0
    return onehot.T @ dOut.reshape(flat.size, -1)


def softmax_backward(dP, P):
    inner = np.sum(dP * P, axis=-1)[..., None]
    return P * dP - P * inner


def _head(x, Wq, Wk, Wv):
    """One sequence x (T, C): its queries, keys, values and weights."""
    T = x.shape[0]
    q, k, v = x @ Wq.T, x @ Wk.T, x @ Wv.T
    s = q @ k.T / math.sqrt(Wq.shape[0])
    for t in range(T):
        s[t, t + 1 :] = -np.inf
    s -= s.max(axis=1, keepdims=True)
    p = np.exp(s)
    p /= p.sum(axis=1, keepdims=True)
    return q, k, v, p


def attention_weights(X, Wq, Wk):
    return np.stack([_head(x, Wq, Wk, Wk)[3] for x in X])


def causal_attention_forward(X, Wq, Wk, Wv):
    outputs = []
    for x in X:
        _, _, v, p = _head(x, Wq, Wk, Wv)
        outputs.append(p @ v)
    return np.stack(outputs)


def causal_attention_backward(dY, X, Wq, Wk, Wv):
    dX = np.zeros_like(X)
    dWq, dWk, dWv = np.zeros_like(Wq), np.zeros_like(Wk), np.zeros_like(Wv)
    root = math.sqrt(Wq.shape[0])
    for b, x in enumerate(X):
        q, k, v, p = _head(x, Wq, Wk, Wv)
        dy = dY[b]
        dv = p.T @ dy
        ds = softmax_backward(dy @ v.T, p) / root
        dq = ds @ k
        dk = ds.T @ q
        dX[b] = dq @ Wq + dk @ Wk + dv @ Wv
        dWq += dq.T @ x
        dWk += dk.T @ x
        dWv += dv.T @ x
    return dX, dWq, dWk, dWv
