"""Reference solution, exercise 11: embeddings and causal self-attention.

An embedding is a row lookup, out = W[idx]; its backward adds each position's upstream row into
the row of its token, with np.add.at so that a token seen twice gets both. One head of causal
self-attention, Wq, Wk, Wv (H, C), no biases:

    Q = X @ Wq.T, K = X @ Wk.T, V = X @ Wv.T     (B, T, H)
    S = Q @ K^T / sqrt(H), masked with -inf where s > t    (B, T, T)
    P = softmax(S) along the last axis, Y = P @ V          (B, T, H)

Backward: dP = dY @ V^T, dV = P^T @ dY, dS = softmax_backward(dP, P), then the scale and the
two products of S: dQ = dS @ K / sqrt(H), dK = dS^T @ Q / sqrt(H); each of Q, K, V is a linear
layer of X, so dX = dQ @ Wq + dK @ Wk + dV @ Wv and dWq = sum over (b, t) of dQ^T X.
"""

import numpy as np


def embedding_forward(idx: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Look up one row of W per token: out[b, t] = W[idx[b, t]].

    Inputs:
    - idx: token ids, integers of shape (B, T), each in [0, V)
    - W: the embedding table, shape (V, C)

    Returns:
    - out: shape (B, T, C), a new array
    """
    return W[idx]  # fancy indexing copies


def embedding_backward(dOut: np.ndarray, idx: np.ndarray, V: int) -> np.ndarray:
    """The gradient of the embedding table.

    Row v of dW is the sum of dOut[b, t] over every position (b, t) holding token v; a token
    seen twice gets both rows, and a token never seen gets a row of zeros.

    Inputs:
    - dOut: upstream gradient, shape (B, T, C)
    - idx: the token ids the forward pass was given, integers of shape (B, T)
    - V: the number of rows of the table

    Returns:
    - dW: shape (V, C)
    """
    dW = np.zeros((V, dOut.shape[-1]))
    np.add.at(dW, idx, dOut)  # unbuffered: a repeated index adds every time
    return dW


def softmax_backward(dP: np.ndarray, P: np.ndarray) -> np.ndarray:
    """The backward of a softmax along the last axis, given its output P.

    dS = P * (dP - sum(dP * P, axis=-1, keepdims=True)): the whole Jacobian
    diag(p) - p p^T of each row, applied to that row's upstream gradient.

    Inputs:
    - dP: upstream gradient, any shape (..., T)
    - P: the softmax's output, the same shape; each row sums to 1

    Returns:
    - dS: the same shape
    """
    return P * (dP - np.sum(dP * P, axis=-1, keepdims=True))


def _scores(X: np.ndarray, Wq: np.ndarray, Wk: np.ndarray) -> tuple[np.ndarray, ...]:
    """Q, K and the causal attention weights P."""
    H = Wq.shape[0]
    T = X.shape[1]
    Q = X @ Wq.T
    K = X @ Wk.T
    S = Q @ np.swapaxes(K, -1, -2) / np.sqrt(H)
    future = np.triu(np.ones((T, T), dtype=bool), k=1)  # s > t
    S = np.where(future, -np.inf, S)
    S = S - S.max(axis=-1, keepdims=True)  # the diagonal is never masked: the max is finite
    E = np.exp(S)  # exp(-inf) is exactly 0
    P = E / E.sum(axis=-1, keepdims=True)
    return Q, K, P


def attention_weights(X: np.ndarray, Wq: np.ndarray, Wk: np.ndarray) -> np.ndarray:
    """The causal attention weights of one head.

    P = softmax(Q @ K^T / sqrt(H)) along the last axis, with S[:, t, s] masked for s > t:
    each row of P sums to 1, and P[:, t, s] is exactly 0 for s > t.

    Inputs:
    - X: inputs, shape (B, T, C)
    - Wq, Wk: the query and key weights, shape (H, C)

    Returns:
    - P: shape (B, T, T)
    """
    return _scores(X, Wq, Wk)[2]


def causal_attention_forward(
    X: np.ndarray, Wq: np.ndarray, Wk: np.ndarray, Wv: np.ndarray
) -> np.ndarray:
    """One head of causal self-attention.

    Q = X @ Wq.T, K = X @ Wk.T, V = X @ Wv.T; S = Q @ K^T / sqrt(H), masked with -inf for
    s > t; P = softmax(S) along the last axis; Y = P @ V.

    Inputs:
    - X: inputs, shape (B, T, C)
    - Wq, Wk, Wv: the query, key and value weights, shape (H, C)

    Returns:
    - Y: shape (B, T, H)
    """
    P = _scores(X, Wq, Wk)[2]
    return P @ (X @ Wv.T)


def causal_attention_backward(
    dY: np.ndarray, X: np.ndarray, Wq: np.ndarray, Wk: np.ndarray, Wv: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The backward pass of causal_attention_forward, recomputing what it needs.

    Inputs:
    - dY: upstream gradient, shape (B, T, H)
    - X: the inputs the forward pass was given, shape (B, T, C)
    - Wq, Wk, Wv: the weights it was given, shape (H, C)

    Returns a tuple of:
    - dX: shape (B, T, C)
    - dWq, dWk, dWv: shape (H, C) each
    """
    H, C = Wq.shape
    Q, K, P = _scores(X, Wq, Wk)
    V = X @ Wv.T
    dP = dY @ np.swapaxes(V, -1, -2)  # (B, T, T)
    dV = np.swapaxes(P, -1, -2) @ dY  # (B, T, H)
    dS = softmax_backward(dP, P) / np.sqrt(H)  # the scale is part of S
    dQ = dS @ K  # (B, T, H)
    dK = np.swapaxes(dS, -1, -2) @ Q  # (B, T, H)
    dX = dQ @ Wq + dK @ Wk + dV @ Wv  # X feeds all three
    flat = X.reshape(-1, C)  # every (b, t) is one row of each linear layer
    dWq = dQ.reshape(-1, H).T @ flat
    dWk = dK.reshape(-1, H).T @ flat
    dWv = dV.reshape(-1, H).T @ flat
    return dX, dWq, dWk, dWv
