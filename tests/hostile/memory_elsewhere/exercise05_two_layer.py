"""BPGRADE-HOSTILE submission for exercise05 (attack: memory_elsewhere).

The reference solution, except train_step, the last function called: on its first call it
holds memory where a limit on one process's address space does not look, then raises:

- memfds (memfd_create, ftruncate to 4 GiB) written with pwrite, 64 MiB at a time, up to
  1.5 GiB together: no mapping, so no address space; a limit on file size (EFBIG, with SIGXFSZ
  ignored) only starts the next memfd; their descriptors are also handed to a process below,
  so they outlive the learner's process;
- four processes, each started in a new session with a fresh small interpreter, each writing
  700 MiB (under a 1 GiB limit each, 2.8 GiB together) and keeping it for 15 s;
- files in /dev/shm (POSIX shared memory is a tmpfs file), written up to 1 GiB and left.

A grader that limits only the address space of the learner's process lets it hold more than
5 GiB under a 1 GiB limit, some of it after the exercise. The grader must bound all the memory
of an exercise together (a cgroup counts processes, memfd and tmpfs pages alike), end the
processes and remove the /dev/shm files with the exercise. The other functions are correct and
train_step always raises: 9 checks pass (init_params.*, two_layer_forward,
two_layer_backward.*, sgd_step), whatever happened to the memory.

Safe to run by mistake: every step writes only while the machine's MemAvailable stays 2 GiB
above what it is about to write; the processes end by themselves within 15 s; nothing it did
not make is removed; every attempt is wrapped.
"""

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

MIB = 1 << 20
GIB = 1 << 30
SPARE = 2 * GIB
CHUNK = 64 * MIB
HOLDERS = 4
HOLDER_BYTES = 700 * MIB
MEMFD_TRUNCATE = 4 * GIB
MEMFD_BYTES = 1536 * MIB
SHM_BYTES = 1 * GIB
LINGER_SECONDS = 15
MAX_PIECES = 64
HOLD = """
import sys, time
size, until = int(sys.argv[1]), float(sys.argv[2])
try:
    block = b"\\x01" * size
    print("held", flush=True)
except MemoryError:
    print("refused", flush=True)
while time.time() < until:
    time.sleep(0.2)
"""
_done: list[str] = []
_keep: list[Any] = []


def _available() -> int:
    try:
        with open("/proc/meminfo") as file:
            for line in file:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0  # no /proc: write nothing


def _holders(memfds: list[int]) -> None:
    until = time.time() + LINGER_SECONDS
    started = []
    for index in range(HOLDERS):
        if _available() < HOLDER_BYTES * (HOLDERS - index) + SPARE:
            break
        holder = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", HOLD, str(HOLDER_BYTES), str(until)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            start_new_session=True,
            pass_fds=tuple(memfds) if index == 0 else (),
        )
        _keep.append(holder)
        started.append(holder)
    for holder in started:  # they write at the same time; wait for each to say so
        assert holder.stdout is not None
        if select.select([holder.stdout], [], [], 5.0)[0]:
            _done.append(f"holder {holder.pid}: {holder.stdout.readline().decode().strip()}")


def _write_pieces(open_piece: Callable[[int], int], total: int) -> tuple[int, int]:
    """Write `total` bytes into pieces opened one after the other: a limit on the size of one
    file (EFBIG) only starts the next piece. Returns the bytes written and the pieces used."""
    chunk = b"\x01" * CHUNK
    written = pieces = 0
    while written < total and pieces < MAX_PIECES and _available() > CHUNK + SPARE:
        fd = open_piece(pieces)
        pieces += 1
        offset = 0
        while written < total and _available() > CHUNK + SPARE:
            try:
                done = os.pwrite(fd, chunk, offset)
            except OSError:
                break  # this piece is as large as it may be: the next one
            if done <= 0:
                break
            offset += done
            written += done
        if offset == 0:
            break  # not even one chunk: no use trying more
    return written, pieces


def _memfd(index: int) -> int:
    fd = os.memfd_create(f"bpgrade-hostile-{index}")
    _keep.append(fd)
    with contextlib.suppress(OSError):
        os.ftruncate(fd, MEMFD_TRUNCATE)  # a size, no memory yet
    return fd


def _shm_file(index: int) -> int:
    path = f"/dev/shm/bpgrade-hostile-{os.getpid()}-{index}"
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    _keep.append(fd)
    return fd


def _abuse() -> None:
    if _done:
        return
    _done.append("started")
    with contextlib.suppress(Exception):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a file-size limit: EFBIG, not death
    memfds: list[int] = []
    with contextlib.suppress(Exception):
        written, pieces = _write_pieces(_memfd, MEMFD_BYTES)
        memfds = [fd for fd in _keep if isinstance(fd, int)]
        _done.append(f"memfd {written >> 20} MiB in {pieces}")
    with contextlib.suppress(Exception):
        _holders(memfds)
    with contextlib.suppress(Exception):
        written, pieces = _write_pieces(_shm_file, SHM_BYTES)
        _done.append(f"/dev/shm {written >> 20} MiB in {pieces} files")
    with contextlib.suppress(Exception):
        print("memory_elsewhere:", "; ".join(_done))


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
    dZ1 = np.where(Z1 > 0, dY_hat @ params["W2"], 0.0)
    return {"W1": dZ1.T @ X, "b1": dZ1.sum(axis=0), "W2": dW2, "b2": db2}


def sgd_step(
    params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: float
) -> dict[str, np.ndarray]:
    return {k: params[k] - lr * grads[k] for k in params}


def train_step(
    params: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray, lr: float
) -> tuple[dict[str, np.ndarray], float]:
    _abuse()
    raise RuntimeError("memory_elsewhere: this function only holds memory")
