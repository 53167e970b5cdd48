"""Drivers of exercise07: the learner's own functions together on one deep network, for the
picture of vanishing and exploding gradients (each layer's gradient norm and saturation)."""

from __future__ import annotations

from types import ModuleType

import numpy as np


def deep_picture(
    module: ModuleType,
    sizes: list[int],
    X: np.ndarray,
    dY_hat: np.ndarray,
    activation: str,
    scheme: str,
) -> dict[str, list[float]]:
    """init_weights, deep_forward, deep_backward and gradient_norms on one network, and the
    saturation of each hidden layer: its activation A_l is the output of the first l layers
    followed by an identity layer (W = I, b = 0), so the learner's deep_forward computes it."""
    params = module.init_weights(sizes, scheme, 0)
    _, cache = module.deep_forward(params, X, activation)
    grads = module.deep_backward(params, cache, dY_hat)
    norms = [float(n) for n in module.gradient_norms(grads)]
    saturations = []
    for layer in range(1, len(sizes) - 1):
        first = {f"{p}{i}": params[f"{p}{i}"] for i in range(1, layer + 1) for p in "Wb"}
        first[f"W{layer + 1}"] = np.eye(sizes[layer])
        first[f"b{layer + 1}"] = np.zeros(sizes[layer])
        A, _ = module.deep_forward(first, X, activation)
        saturations.append(float(module.saturation(A, activation)))
    return {"grad_norm": norms, "saturation": saturations}
