"""Exercise 11: embeddings and causal self-attention.

Token ids become vectors, and each position of a sequence mixes in the positions before it.
Sequences are batch first: X is (B, T, C), batch, position, channels.

Embeddings
----------
An embedding table W (V, C) holds one row per token, laid out as nn.Embedding:

    idx: (B, T) integers in [0, V)      out = W[idx]: (B, T, C), out[b, t] = W[idx[b, t]]

Its backward is a scatter: row v of dW adds up dOut[b, t] over every position holding token v.
A token seen twice gets BOTH rows, and rows of tokens never seen stay zero. Beware: with fancy
indexing, dW[idx] += dOut is buffered, so a repeated token keeps only one of its rows; NumPy has
a ufunc method made for repeated indices (look up np.add's .at), or loop over the positions.

Causal self-attention (one head, no biases)
-------------------------------------------
Wq, Wk, Wv are (H, C), as nn.Linear's weights, H the head size:

    Q = X @ Wq.T,  K = X @ Wk.T,  V = X @ Wv.T          (B, T, H) each
    S = Q @ K^T / sqrt(H)                               (B, T, T); K^T swaps K's last two axes
    S[:, t, s] = -inf for s > t                         the causal mask: t sees s <= t only
    P = softmax(S) along the last axis                  (B, T, T); each row sums to 1
    Y = P @ V                                           (B, T, H)

The mask goes on the scores, before the softmax, and it is -inf: exp(-inf) is exactly 0, so the
masked weights are exactly 0 whatever the scores (a finite constant such as -1e9 is not enough:
scores can be below it). The diagonal is never masked: position t always sees itself, so every
row has a finite maximum, and subtracting it (exercise 04's softmax) keeps exp from overflowing
for inputs as large as |X| = 1000. The 1/sqrt(H) keeps the scores' spread about 1 whatever H.

Backward
--------
The softmax's backward, given its output P, row by row (its Jacobian is diag(p) - p p^T):

    dS = P * (dP - sum(dP * P, axis=-1, keepdims=True))

(P * (1 - P) * dP is only the diagonal of that Jacobian: each weight depends on every score of
its row.) Then, backwards through the head, with ^T swapping the last two axes:

    dP = dY @ V^T,   dV = P^T @ dY
    dS = softmax_backward(dP, P), times the scale 1/sqrt(H)
    dQ = dS @ K,     dK = dS^T @ Q
    dX = dQ @ Wq + dK @ Wk + dV @ Wv        X makes all three of Q, K and V
    dWq = the sum over every (b, t) of dQ[b, t] outer X[b, t]: a linear layer's dW with the
          B * T positions as its batch (reshape to (B*T, H) and (B*T, C)); the same for dWk, dWv

The masked weights are 0, so their dS is 0 and nothing flows to the future: an upstream
gradient at position t reaches X only at positions s <= t. The grader checks exactly that, and
that changing later positions of X leaves earlier outputs alone.

Conventions that matter here
----------------------------
- Batch first, (B, T, C); weights (H, C); float64 results; idx an integer array.
- Backward functions are stateless: causal_attention_backward(dY, X, Wq, Wk, Wv) recomputes
  Q, K, V and P from its arguments.
- No function modifies its arguments or returns one of them: W[idx] is a new array.
- Large inputs (|X| up to 1000, weights with rows of norm about 1) stay finite and silent.

Worked example (B = 1, T = 3, C = 2, H = 4, V = 3)
---------------------------------------------------
    W = [[0, 1], [1, 0], [1, 1]],  idx = [[1, 0, 1]]   (token 1 twice)
    X = embedding_forward(idx, W) = [[[1, 0], [0, 1], [1, 0]]]
    with dOut = [[[1, 2], [3, 4], [5, 6]]]: embedding_backward(dOut, idx, 3)
        = [[3, 4], [6, 8], [0, 0]]        (row 1 = [1, 2] + [5, 6]; row 2 never seen)

    Wq = Wk = [[1, 0], [0, 1], [1, 0], [0, 1]],  Wv = [[1, 0], [0, 1], [1, 1], [1, -1]]
    Q = K = [[1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0]];  S = Q @ K^T / 2 =
        [[1, 0, 1], [0, 1, 0], [1, 0, 1]]  before the mask
    P = [[1,      0,      0     ],         row 1: softmax([0, 1]) = [1, e] / (1 + e)
         [0.2689, 0.7311, 0     ],         row 2: [e, 1, e] / (2e + 1)
         [0.4223, 0.1554, 0.4223]]
    V = [[1, 0, 1, 1], [0, 1, 1, -1], [1, 0, 1, 1]]
    Y = P @ V = [[1, 0, 1, 1], [0.2689, 0.7311, 1, -0.4621], [0.8446, 0.1554, 1, 0.6893]]

    softmax_backward(dP=[1, 0], P=[0.2689, 0.7311]) = [0.1966, -0.1966]
    With dY zero but dY[0, 2, 0] = 1: dWv = [[0.8446, 0.1554], [0, 0], [0, 0], [0, 0]],
    dX[0, 0] = [0.4879, 0], dX[0, 2] = [0.6192, -0.1312]

Checking your work
------------------
    bpgrade check exercise11     # grade this file, check by check
    bpgrade hint exercise11      # reveal the next hint when you are stuck
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
    raise NotImplementedError(
        "embedding_forward: look up one row of W per token (see the docstring)"
    )


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
    # TODO: a table of zeros, then add each position's upstream row into its token's row.
    raise NotImplementedError("embedding_backward: compute dW, shape (V, C) (see the docstring)")


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
    raise NotImplementedError("softmax_backward: compute dS, shaped like P (see the docstring)")


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
    # TODO: scores, the causal mask, then a stable softmax along the last axis.
    raise NotImplementedError("attention_weights: compute P, shape (B, T, T) (see the docstring)")


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
    raise NotImplementedError(
        "causal_attention_forward: compute Y, shape (B, T, H) (see the docstring)"
    )


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
    # TODO: recompute Q, K, V and P, then go back through Y = P @ V, the softmax and S.
    raise NotImplementedError(
        "causal_attention_backward: compute dX, dWq, dWk and dWv (see the docstring)"
    )
