"""BPGRADE-HOSTILE submission for exercise05 (attack: huge_list).

init_params is CORRECT (its honest part) and sgd_step is not started (NotImplementedError);
the other functions return plain Python lists that are huge or deep:

- two_layer_forward returns Y_hat as a flat list of 6 million floats (about 30 MB as text:
  under a 64 MiB cap on what one exercise may send, so it crosses, unless the grader caps a
  list like an array) and its cache as the same list;
- two_layer_backward returns gradients that are a list of 2000 rows of 2000 floats, a list
  nested 100000 deep, a ragged list of lists, and a list holding itself;
- train_step returns parameters that are lists of 3 million floats and a loss that is a list.

A grader that turns a returned list into an array, walks it recursively, or compares it to the
reference element by element in Python spends seconds to minutes (or recurses past Python's
limit) in the root grader. The grader must cap the size and depth of what crosses, judge
in time proportional to what it shows, and write the results file within its time bound:
init_params.shapes, init_params.he_std and init_params.seed pass.

Safe to run by mistake: the lists take at most about 100 MB of the child's memory; nothing is
written or deleted.
"""

from typing import Any

import numpy as np

FLAT = 6_000_000


def _deep(depth: int) -> list[Any]:
    inner: list[Any] = [0.0]
    for _ in range(depth):
        inner = [inner]
    return inner


def init_params(D: int, H: int, C: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    W1 = rng.normal(0.0, np.sqrt(2.0 / D), size=(H, D))
    W2 = rng.normal(0.0, np.sqrt(2.0 / H), size=(C, H))
    return {"W1": W1, "b1": np.zeros(H), "W2": W2, "b2": np.zeros(C)}


def two_layer_forward(params: dict[str, np.ndarray], X: np.ndarray) -> tuple[Any, Any]:
    flat = [0.5] * FLAT
    return flat, flat


def two_layer_backward(params: dict[str, np.ndarray], cache: Any, dY_hat: Any) -> dict[str, Any]:
    looped: list[Any] = [0.0]
    looped.append(looped)
    return {
        "W1": [[0.25] * 2000 for _ in range(2000)],
        "b1": _deep(100_000),
        "W2": [[0.0] * n for n in range(3000)],
        "b2": looped,
    }


def sgd_step(
    params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: float
) -> dict[str, np.ndarray]:
    raise NotImplementedError


def train_step(params: Any, X: np.ndarray, Y: np.ndarray, lr: float) -> tuple[Any, Any]:
    flat = [1.0] * (FLAT // 2)
    return {key: flat for key in ("W1", "b1", "W2", "b2")}, [0.0] * 1000
