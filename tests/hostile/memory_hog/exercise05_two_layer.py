"""BPGRADE-HOSTILE submission for exercise05 (attack: memory_hog).

The reference solution, except train_step, the last function called: before its (correct)
work it asks for one 4 GiB array (np.empty, so a limit on the address space trips at once),
then writes to it 256 MiB at a time, so that every page becomes resident (what a limit on
resident memory, a cgroup's, counts), and keeps it. So that it cannot push a developer's
machine into swap or the OOM killer when the grader fails to contain it, it stops writing while
the machine's MemAvailable (/proc/meminfo) is under 2 GiB more than the next 256 MiB; a limit
set on the process (RLIMIT_AS, a cgroup) is not visible there, so it still trips that.

A grader without a memory limit gives full marks after the machine paged 4 GiB. The grader
must stop it at its memory limit (well under 4 GiB), say that memory ran out, and keep what the
other functions returned: 10 of 12 (train_step.params and train_step.loss fail, and
arguments_unchanged, advice worth no points).
"""

from typing import Any

import numpy as np

HOG_BYTES = 4 << 30
CHUNK_BYTES = 256 << 20
SPARE_BYTES = 2 << 30
_hoard: list[np.ndarray] = []


def _available() -> int:
    try:
        with open("/proc/meminfo") as file:
            for line in file:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return HOG_BYTES + SPARE_BYTES  # no /proc: assume the grader's limits are what stop it


def _hog() -> None:
    if _hoard:
        return  # already holding it, from an earlier call
    block = np.empty(HOG_BYTES // 8)  # the address space, all at once
    _hoard.append(block)
    step = CHUNK_BYTES // 8
    for start in range(0, block.size, step):
        if _available() < CHUNK_BYTES + SPARE_BYTES:
            break  # a real machine, nearly full: never the OOM killer
        block[start : start + step] = 1.0  # written, so resident, not just reserved


def init_params(D: int, H: int, C: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    W1 = rng.normal(0.0, np.sqrt(2.0 / D), size=(H, D))
    W2 = rng.normal(0.0, np.sqrt(2.0 / H), size=(C, H))
    return {"W1": W1, "b1": np.zeros(H), "W2": W2, "b2": np.zeros(C)}


def two_layer_forward(params: dict[str, np.ndarray], X: np.ndarray) -> tuple[np.ndarray, Any]:
    Z1 = X @ params["W1"].T + params["b1"]
    A1 = np.maximum(Z1, 0.0)
    Y_hat = A1 @ params["W2"].T + params["b2"]
    return Y_hat, (X, Z1, A1)


def two_layer_backward(
    params: dict[str, np.ndarray], cache: Any, dY_hat: np.ndarray
) -> dict[str, np.ndarray]:
    X, Z1, A1 = cache
    dW2 = dY_hat.T @ A1
    db2 = dY_hat.sum(axis=0)
    dA1 = dY_hat @ params["W2"]
    dZ1 = np.where(Z1 > 0, dA1, 0.0)
    dW1 = dZ1.T @ X
    db1 = dZ1.sum(axis=0)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def sgd_step(
    params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: float
) -> dict[str, np.ndarray]:
    return {k: params[k] - lr * grads[k] for k in params}


def train_step(
    params: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray, lr: float
) -> tuple[dict[str, np.ndarray], float]:
    _hog()
    Y_hat, cache = two_layer_forward(params, X)
    loss = float(np.mean((Y_hat - Y) ** 2))
    dY_hat = 2.0 * (Y_hat - Y) / Y.size
    grads = two_layer_backward(params, cache, dY_hat)
    return sgd_step(params, grads, lr), loss
