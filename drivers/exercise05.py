"""Drivers of exercise05, for `bpgrade plot` only (no check uses them): the learner's network
driven through one step of training, returning plain arrays."""

from __future__ import annotations

from types import ModuleType
from typing import Any


def step_blame(module: ModuleType, params: dict[str, Any], X: Any, Y: Any) -> dict[str, Any]:
    """The gradients of one training step on the mean squared error, from the learner's own
    two_layer_forward and two_layer_backward: the blame each weight gets for the error."""
    Y_hat, cache = module.two_layer_forward(params, X)
    upstream = 2.0 * (Y_hat - Y) / Y.size  # the mean's 1/size, as the exercise's loss has it
    grads: dict[str, Any] = module.two_layer_backward(params, cache, upstream)
    return grads
