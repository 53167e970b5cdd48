"""Drivers of exercise11: causality judged through the learner's own functions, and the
numbers of the attention picture.

Causality is a property of two calls, not of one output: the forward pass on X and on X with
its later positions changed must agree on the earlier positions, and the backward pass given an
upstream gradient that is zero after position t must send nothing into dX after t. Each driver
makes the calls where the learner's code runs and sends back only what a causal head leaves at
zero, so a head that is wrong in another way (its scale, its softmax) still passes here.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np


def causal_outputs(
    module: ModuleType,
    X: np.ndarray,
    X_changed: np.ndarray,
    Wq: np.ndarray,
    Wk: np.ndarray,
    Wv: np.ndarray,
    cut: int,
) -> np.ndarray:
    """How much the outputs of positions before `cut` move when only positions `cut`.. of X
    change: zero for a causal head."""
    Y = np.asarray(module.causal_attention_forward(X, Wq, Wk, Wv), dtype=np.float64)
    Y_changed = np.asarray(module.causal_attention_forward(X_changed, Wq, Wk, Wv), dtype=np.float64)
    return Y_changed[:, :cut] - Y[:, :cut]


def causal_gradients(
    module: ModuleType,
    dY: np.ndarray,
    X: np.ndarray,
    Wq: np.ndarray,
    Wk: np.ndarray,
    Wv: np.ndarray,
    t: int,
) -> np.ndarray:
    """dX after position `t`, for an upstream gradient that is zero after t: zero for a
    causal head (what position t computed never read the positions after it)."""
    dX = module.causal_attention_backward(dY, X, Wq, Wk, Wv)[0]
    return np.asarray(dX, dtype=np.float64)[:, t + 1 :]


def attention_picture(
    module: ModuleType, X: np.ndarray, Wq: np.ndarray, Wk: np.ndarray
) -> dict[str, list[float]]:
    """The attention weights of the first sequence, one list per query position: the weights
    it gives each key position, 1 to T."""
    P = np.asarray(module.attention_weights(X, Wq, Wk), dtype=np.float64)
    return {f"query {t + 1}": [float(p) for p in P[0, t]] for t in range(P.shape[1])}
