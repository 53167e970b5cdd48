"""Exercise 10: normalization (batchnorm and layernorm).

A normalization layer rescales its inputs to mean 0 and variance 1, then lets the network
choose the scale and the shift it wants with two learned vectors, a gain gamma and a shift
beta, one number per feature:

    xhat = (x - mean) / sqrt(var + eps)          mean 0, variance 1 (almost: eps)
    y    = gamma * xhat + beta

The two layers differ only in which numbers are normalized together:

    batchnorm   X (N, D): each FEATURE (a column) over the batch, one mean and one
                variance per column, m = N values each (axis 0)
    layernorm   X (..., D): each VECTOR along the last axis over its own D features, one
                mean and one variance per row (or per position of a sequence (B, T, D)),
                m = D values each (the last axis)

The variance is the biased one: the mean of the squared deviations from the mean,
var = mean((x - mean)**2), divided by m (not m - 1). Compute it exactly like that, from the
deviations: E[x**2] - E[x]**2 is the same number on paper, but for a feature whose mean is
1e8 times its spread both terms are about 1e16 and agree in every digit the variance needs,
so their difference is rounding noise (even negative). eps goes inside the square root, as
in PyTorch: a constant feature has var = 0, and sqrt(0 + eps) keeps the division finite.

Backward
--------
Write dxhat = dY * gamma (the gradient that reaches xhat). The mean and the variance are
computed from the very x's being normalized, so each x reaches every output of its group
three ways: directly, through the mean and through the variance. Adding the three up, for the
m values of one group (a column for batchnorm, a row for layernorm):

    dX     = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / sqrt(var + eps)
    dgamma = sum of dY * xhat        over every axis but the features' (shape (D,))
    dbeta  = sum of dY               over every axis but the features' (shape (D,))

with both means over the group's m values. Derive it once on paper (or from the graph
x -> mean -> centered -> var -> xhat, one node at a time, as in exercise 08): it is worth it.
Two facts check your dX:
- Each of batchnorm's dX columns sums to zero. Shifting a whole feature by a constant c moves
  its mean by c and leaves xhat, so Y, unchanged: the loss does not change along that
  direction, and the gradient along it, the column's sum, is 0. (A dX that treats the mean
  and the variance as constants, dY * gamma / sqrt(var + eps), breaks it.)
- gamma and beta are shared by every example (and every position of a sequence), so their
  gradients add up over every leading axis: for a (B, T, D) input, over B and T both.

Running statistics and evaluation mode
--------------------------------------
In training, batchnorm uses the batch's own mean and variance. It also keeps running
averages of them for evaluation, where the output of one example must not depend on the
others in its batch:

    new_mean = (1 - momentum) * running_mean + momentum * batch_mean
    new_var  = (1 - momentum) * running_var  + momentum * batch_var_unbiased

momentum is the weight of the NEW batch (PyTorch's convention, default 0.1), and the batch
variance here is the unbiased one, divided by N - 1: the running variance estimates the
variance of all the data. In evaluation mode:

    Y = gamma * (X - running_mean) / sqrt(running_var + eps) + beta

Conventions that matter here
----------------------------
- Arrays are float64. Batchnorm takes N >= 2. eps defaults to 1e-5, momentum to 0.1; use the
  eps and momentum you are given (graders may pass them by keyword).
- The backward passes are stateless: batchnorm_backward(dY, X, gamma, eps) recomputes what it
  needs from X.
- dgamma and dbeta have shape (D,), not (1, D).
- No function modifies its arguments; return new arrays.

Worked example (N = 5, D = 2; eps = 0 here for round numbers)
-------------------------------------------------------------
    X = [[1, 2], [3, 2], [4, 2], [5, 2], [7, 7]],  gamma = [2, -1],  beta = [0.5, 1]

    mean = [4, 3];  deviations [-3, -1, 0, 1, 3] and [-1, -1, -1, -1, 4]
    var  = [20/5, 20/5] = [4, 4],  so sqrt(var) = [2, 2]
    xhat: column 0 [-1.5, -0.5, 0, 0.5, 1.5],  column 1 [-0.5, -0.5, -0.5, -0.5, 2]
    Y = [[-2.5, 1.5], [-0.5, 1.5], [0.5, 1.5], [1.5, 1.5], [3.5, -1.0]]

    (with the default eps = 1e-5, sqrt(4.00001) = 2.0000025: Y[0, 0] = -2.49999625)

    With dY = [[1, 1], [0, 0], [0, 0], [0, 0], [0, 0]] (and eps = 0):
    dxhat = dY * gamma: column 0 [2, 0, 0, 0, 0], column 1 [-1, 0, 0, 0, 0]
    column 0: mean(dxhat) = 0.4, mean(dxhat * xhat) = -0.6,
              dX[:, 0] = ([2, 0, 0, 0, 0] - 0.4 + 0.6 * xhat) / 2
                       = [0.35, -0.35, -0.2, -0.05, 0.25]        (sums to 0)
    column 1: dX[:, 1] = [-0.375, 0.125, 0.125, 0.125, 0.0]     (sums to 0)
    dgamma = [-1.5, -0.5],  dbeta = [1, 1]

    running_stats([0, 0], [1, 1], X): the unbiased batch variance is 20/4 = 5 in both
    columns, so new_mean = [0.4, 0.3] and new_var = [1.4, 1.4].
    batchnorm_eval([[5, 2]], gamma, beta, [4, 3], [4, 1]) (eps = 0) = [[1.5, 2.0]].
    layernorm_forward([[1, 3, 4, 5, 7]], ones(5), zeros(5)) (eps = 0) =
    [[-1.5, -0.5, 0, 0.5, 1.5]].

Checking your work
------------------
    bpgrade check exercise10     # grade this file, check by check
    bpgrade hint exercise10      # reveal the next hint when you are stuck
"""

import numpy as np


def batchnorm_forward(
    X: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5
) -> np.ndarray:
    """Batch normalization in training mode: each feature normalized over the batch.

    mean and var per feature (column) over the N examples, var biased (divided by N);
    Y = gamma * (X - mean) / sqrt(var + eps) + beta.

    Inputs:
    - X: inputs, shape (N, D), N >= 2
    - gamma: the gain of each feature, shape (D,)
    - beta: the shift of each feature, shape (D,)
    - eps: added to the variance, inside the square root

    Returns:
    - Y: outputs, shape (N, D)
    """
    # TODO: a mean and a variance per column, from the deviations; then scale and shift.
    raise NotImplementedError("batchnorm_forward: normalize each column, then scale and shift")


def batchnorm_backward(
    dY: np.ndarray, X: np.ndarray, gamma: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The backward pass of batchnorm_forward: the batch mean and variance are functions of X.

    Inputs:
    - dY: upstream gradient dL/dY, shape (N, D)
    - X: the forward's inputs, shape (N, D), N >= 2
    - gamma: the gain of each feature, shape (D,)
    - eps: the forward's eps

    Returns a tuple of:
    - dX: shape (N, D); each of its columns sums to zero
    - dgamma: shape (D,)
    - dbeta: shape (D,)
    """
    # TODO: recompute xhat from X, then the three gradients (see "Backward" above).
    raise NotImplementedError(
        "batchnorm_backward: dX through the mean and the variance too, then dgamma and dbeta"
    )


def running_stats(
    running_mean: np.ndarray, running_var: np.ndarray, X: np.ndarray, momentum: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """The running mean and variance after one training batch, as nn.BatchNorm1d keeps them.

    new = (1 - momentum) * old + momentum * batch, momentum the weight of the new batch; the
    batch variance is the unbiased one (divided by N - 1).

    Inputs:
    - running_mean: shape (D,)
    - running_var: shape (D,)
    - X: the batch, shape (N, D), N >= 2
    - momentum: the weight of the new batch's statistics

    Returns a tuple of:
    - new_mean: shape (D,)
    - new_var: shape (D,)
    """
    raise NotImplementedError("running_stats: blend the batch's statistics into the running ones")


def batchnorm_eval(
    X: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    eps: float = 1e-5,
) -> np.ndarray:
    """Batch normalization in evaluation mode: the running statistics, not the batch's.

    Y = gamma * (X - running_mean) / sqrt(running_var + eps) + beta.

    Inputs:
    - X: inputs, shape (N, D)
    - gamma, beta: shape (D,)
    - running_mean, running_var: shape (D,)
    - eps: added to the variance, inside the square root

    Returns:
    - Y: outputs, shape (N, D)
    """
    raise NotImplementedError("batchnorm_eval: normalize with the running statistics")


def layernorm_forward(
    X: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5
) -> np.ndarray:
    """Layer normalization: each vector along the last axis normalized over its own features.

    mean and biased var of each X[..., :] over its D features;
    Y = gamma * (X - mean) / sqrt(var + eps) + beta.

    Inputs:
    - X: inputs, shape (..., D): (N, D), or (B, T, D) for a sequence
    - gamma, beta: shape (D,)
    - eps: added to the variance, inside the square root

    Returns:
    - Y: outputs, shape of X
    """
    # TODO: as batchnorm_forward, along the last axis (keep it, so the stats broadcast).
    raise NotImplementedError("layernorm_forward: normalize each row along the last axis")


def layernorm_backward(
    dY: np.ndarray, X: np.ndarray, gamma: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The backward pass of layernorm_forward.

    Inputs:
    - dY: upstream gradient dL/dY, shape of X
    - X: the forward's inputs, shape (..., D)
    - gamma: shape (D,)
    - eps: the forward's eps

    Returns a tuple of:
    - dX: shape of X; each vector along its last axis sums to zero
    - dgamma: shape (D,), summed over every leading axis
    - dbeta: shape (D,), summed over every leading axis
    """
    # TODO: batchnorm_backward's formula along the last axis; dgamma and dbeta over the rest.
    raise NotImplementedError(
        "layernorm_backward: dX along the last axis; dgamma and dbeta over every other axis"
    )
