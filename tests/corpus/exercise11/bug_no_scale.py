"""Exercise 11: embeddings and causal self-attention (a learner's file).

Bug: no 1/sqrt(H), forward and backward."""

import numpy as np


def embedding_forward(idx, W):
    return W[idx]


def embedding_backward(dOut, idx, V):
    dW = np.zeros((V, dOut.shape[-1]))
    np.add.at(dW, idx, dOut)
    return dW


def softmax_backward(dP, P):
    return P * (dP - (dP * P).sum(axis=-1, keepdims=True))


def _weights(X, Wq, Wk):
    H = Wq.shape[0]
    T = X.shape[1]
    Q = X @ Wq.T
    K = X @ Wk.T
    S = Q @ K.transpose(0, 2, 1)
    mask = np.triu(np.ones((T, T), dtype=bool), k=1)
    S = np.where(mask, -np.inf, S)
    S = S - S.max(axis=-1, keepdims=True)
    E = np.exp(S)
    P = E / E.sum(axis=-1, keepdims=True)
    return Q, K, P


def attention_weights(X, Wq, Wk):
    return _weights(X, Wq, Wk)[2]


def causal_attention_forward(X, Wq, Wk, Wv):
    _, _, P = _weights(X, Wq, Wk)
    V = X @ Wv.T
    return P @ V


def causal_attention_backward(dY, X, Wq, Wk, Wv):
    H, C = Wq.shape
    Q, K, P = _weights(X, Wq, Wk)
    V = X @ Wv.T
    dP = dY @ V.transpose(0, 2, 1)
    dV = P.transpose(0, 2, 1) @ dY
    dS = softmax_backward(dP, P)
    dQ = dS @ K
    dK = dS.transpose(0, 2, 1) @ Q
    dX = dQ @ Wq + dK @ Wk + dV @ Wv
    Xf = X.reshape(-1, C)
    dWq = dQ.reshape(-1, H).T @ Xf
    dWk = dK.reshape(-1, H).T @ Xf
    dWv = dV.reshape(-1, H).T @ Xf
    return dX, dWq, dWk, dWv
