"""Exercise 03: a linear layer.

A linear (fully connected) layer, laid out as PyTorch's nn.Linear:

    X: (N, D_in)      a batch of N inputs, one per row
    W: (D_out, D_in)  one row of weights per output
    b: (D_out,)       one bias per output
    Z = X @ W.T + b   (N, D_out); b is broadcast to every row of the batch

Written one element at a time, with n a row of the batch, j an output and i an input:

    Z[n, j] = sum_i X[n, i] * W[j, i] + b[j]

Backward
--------
The backward pass receives the upstream gradient dZ = dL/dZ, shape (N, D_out), and returns one
gradient per input, each shaped like the thing it belongs to:

    dX: (N, D_in)     like X
    dW: (D_out, D_in) like W
    db: (D_out,)      like b

The chain rule, element by element, uses the local derivatives of the formula above:
dZ[n, j]/dX[n, i] = W[j, i], dZ[n, j]/dW[j, i] = X[n, i] and dZ[n, j]/db[j] = 1. Each input
receives upstream * local, summed over every Z[n, j] it contributed to:

    dX[n, i] = sum_j dZ[n, j] * W[j, i]      (X[n, i] reaches every output j of row n)
    dW[j, i] = sum_n dZ[n, j] * X[n, i]      (W[j, i] is used by every row n of the batch)
    db[j]    = sum_n dZ[n, j]                (b[j] is added to every row n)

Each of the first two sums is one matrix product of dZ with W or X (transposing where
needed); write the shapes down and the only product whose shape fits is the right one. The
bias gradient is a sum over the batch axis.

Conventions that matter here
----------------------------
- W is (D_out, D_in), not (D_in, D_out): Z = X @ W.T + b.
- No division by N here: the 1/N lives in the loss only (exercise 04), and the upstream dZ
  already carries it.
- linear_backward takes the upstream gradient first: linear_backward(dZ, X, W).
- No function modifies its arguments; return new float64 arrays.

Worked example
--------------
N = 2, D_in = 3, D_out = 2:

    X = [[1.0, 0.0, -1.0],      W = [[0.5, -1.0, 2.0],      b = [0.1, -0.2]
         [2.0, 1.0,  0.0]]           [1.0,  0.0, 1.0]]

    Z = X @ W.T + b = [[-1.4, -0.2],
                       [ 0.1,  1.8]]

    (row 0, output 0: 1*0.5 + 0*(-1) + (-1)*2 + 0.1 = -1.4)

With the upstream gradient dZ = [[1.0, 0.0], [0.5, -1.0]]:

    dX = [[ 0.5,  -1.0, 2.0],        dW = [[ 2.0,  0.5, -1.0],       db = [1.5, -1.0]
          [-0.75, -0.5, 0.0]]              [-2.0, -1.0,  0.0]]

    (dW[0, 0] = dZ[0, 0]*X[0, 0] + dZ[1, 0]*X[1, 0] = 1*1 + 0.5*2 = 2.0)

Checking your work
------------------
    bpgrade check exercise03     # grade this file, check by check
    bpgrade hint exercise03      # reveal the next hint when you are stuck
"""

import numpy as np


def linear_forward(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The forward pass of a linear layer.

    Z = X @ W.T + b.

    Inputs:
    - X: inputs, shape (N, D_in)
    - W: weights, shape (D_out, D_in)
    - b: biases, shape (D_out,)

    Returns:
    - Z: outputs, shape (N, D_out)
    """
    raise NotImplementedError("linear_forward: compute Z, shape (N, D_out) (see the docstring)")


def linear_backward(
    dZ: np.ndarray, X: np.ndarray, W: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The backward pass of a linear layer: the chain rule through Z = X @ W.T + b.

    Each gradient is upstream dZ times a local derivative, summed over what it touched.

    Inputs:
    - dZ: upstream gradient dL/dZ, shape (N, D_out)
    - X: the inputs the forward pass was given, shape (N, D_in)
    - W: the weights the forward pass was given, shape (D_out, D_in)

    Returns a tuple of:
    - dX: gradient dL/dX, shape (N, D_in)
    - dW: gradient dL/dW, shape (D_out, D_in)
    - db: gradient dL/db, shape (D_out,)
    """
    # TODO: one matrix product for dX, one for dW, one sum over the batch for db.
    raise NotImplementedError("linear_backward: compute dX, dW and db (see the docstring)")
