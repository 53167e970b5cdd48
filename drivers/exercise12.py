"""Drivers of exercise12: the learner's own functions together, from init_gpt to a loss, a
loss curve on the course's text, and whether the ids sampled after training are valid."""

from __future__ import annotations

from types import ModuleType

import numpy as np


def first_loss(
    module: ModuleType,
    V: int,
    T: int,
    C: int,
    seed: int,
    idx: np.ndarray,
    targets: np.ndarray,
) -> float:
    """gpt_forward's loss on a freshly initialized model: about ln V, since every logit is
    close to 0 and so every next token is about equally likely."""
    params = module.init_gpt(V, T, C, seed)
    loss, _ = module.gpt_forward(params, idx, targets)
    return float(loss)


def text_loss_curve(
    module: ModuleType,
    ids: np.ndarray,
    V: int,
    T: int,
    C: int,
    steps: int,
    lr: float,
    batch_size: int,
    seed: int,
) -> dict[str, list[float]]:
    """init_gpt, then train on the text's ids: the loss of every step."""
    params = module.init_gpt(V, T, C, seed)
    _, losses = module.train(params, ids, steps, lr, batch_size, T, seed)
    return {"loss": [float(loss) for loss in losses]}


def sample_after_training(
    module: ModuleType,
    ids: np.ndarray,
    V: int,
    T: int,
    C: int,
    steps: int,
    lr: float,
    batch_size: int,
    prompt: list[int],
    n: int,
    seed: int,
) -> dict[str, float]:
    """init_gpt, train, then generate after a prompt: how many ids came back, and how many of
    them are valid (integers in [0, V)). Which ids they are is generate's own check, on given
    params: after training, a tiny difference in the params may change a draw or not."""
    params = module.init_gpt(V, T, C, seed)
    trained, _ = module.train(params, ids, steps, lr, batch_size, T, seed)
    new = list(module.generate(trained, prompt, n, seed))
    valid = [
        isinstance(i, int | np.integer) and not isinstance(i, bool) and 0 <= int(i) < V for i in new
    ]
    return {"count": float(len(new)), "valid": float(sum(valid))}
