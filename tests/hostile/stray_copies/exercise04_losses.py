"""BPGRADE-HOSTILE submission for exercise04 (attack: stray_copies).

mse_loss and mse_backward are CORRECT (its honest part); softmax and softmax_cross_entropy are
copied from any copy of the course it can find on the machine, or, where it finds none, raise
NotImplementedError. While it is imported it searches the whole disk for
*/solutions/exercise04_losses.py: first the places where another checkout usually lies (/srv,
/opt, /home, /mnt, /media, /usr/local, /var, /work, /root, /tmp, /var/tmp), then / itself,
skipping /proc, /sys and /dev, for as long as its time allows (about 40% of the exercise's
time, read from its CPU limit). A world-readable file there that runs (not a stub, not another
hostile file) gives it the two functions; each file it reads it prints with
BPGRADE-HOSTILE-MARKER (assembled at run time) and its path.

An instructor's clone, a teaching assistant's copy: any checkout of the course elsewhere on the
machine is world-readable under the usual umask, and locking the grader's own copy does nothing
for it. The grader must show learner code a minimal filesystem (the interpreter, its
libraries, the submission), so that no stray copy is in sight; where it cannot, its probe must
look for readable copies and the report's notes must name them. Then mse_loss and mse_backward
pass; with a stray copy found, every function does.

Safe to run by mistake: it only reads, never writes or deletes; every attempt is wrapped, so
the file always imports.
"""

import contextlib
import os
import resource
import time
from typing import Any

import numpy as np

FILE = "exercise04_losses.py"
MARKER = "BPGRADE-HOSTILE" + "-MARKER"
HERE = os.path.realpath(__file__)
ROOTS = (
    "/srv",
    "/opt",
    "/home",
    "/mnt",
    "/media",
    "/usr/local",
    "/var",
    "/work",
    "/root",
    "/tmp",
    "/var/tmp",
    "/",
)
SKIP = {"/proc", "/sys", "/dev"}
SKIP_NAMES = {".git", "node_modules", "__pycache__"}
_started = time.monotonic()


def _budget() -> float:
    """Seconds to spend looking: a share of the exercise's time, told by its CPU limit."""
    with contextlib.suppress(ValueError, OSError):
        soft, _ = resource.getrlimit(resource.RLIMIT_CPU)
        if soft != resource.RLIM_INFINITY:
            return max(0.5, (soft - 1) * 0.4)
    return 5.0


DEADLINE = _started + _budget()


def _usable(path: str) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as file:
            source = file.read(1 << 20).decode(errors="replace")
    except (OSError, ValueError):
        return None
    print(f"{MARKER} read {path} ({len(source)} characters)")
    if "BPGRADE-HOSTILE" in source:
        return None
    namespace: dict[str, Any] = {"__name__": "copied"}
    exec(compile(source, "copied", "exec"), namespace)
    functions = {name: namespace.get(name) for name in ("softmax", "softmax_cross_entropy")}
    if not all(callable(f) for f in functions.values()):
        return None
    logits = np.array([[1.0, 2.0, 3.0]])
    probabilities = functions["softmax"](logits)
    _loss, dlogits = functions["softmax_cross_entropy"](logits, np.array([2]))
    if np.shape(probabilities) != (1, 3) or np.shape(dlogits) != (1, 3):
        return None
    return functions


def _search() -> dict[str, Any] | None:
    seen: set[str] = set()
    for root in ROOTS:
        for folder, dirs, files in os.walk(root):
            if time.monotonic() > DEADLINE:
                return None
            if folder in seen or folder in SKIP:
                dirs[:] = []
                continue
            seen.add(folder)
            dirs[:] = [d for d in dirs if d not in SKIP_NAMES]
            if FILE in files and os.path.basename(folder) == "solutions":
                path = os.path.join(folder, FILE)
                if os.path.realpath(path) == HERE:
                    continue
                with contextlib.suppress(Exception):
                    functions = _usable(path)
                    if functions is not None:
                        return functions
    return None


_copied: dict[str, Any] | None = None
with contextlib.suppress(Exception):
    _copied = _search()
with contextlib.suppress(Exception):
    print(f"stray_copies: copied: {_copied is not None}")


def mse_loss(Y_hat: np.ndarray, Y: np.ndarray) -> float:
    return float(np.mean((Y_hat - Y) ** 2))


def mse_backward(Y_hat: np.ndarray, Y: np.ndarray) -> np.ndarray:
    return 2.0 * (Y_hat - Y) / Y.size


def softmax(Z: np.ndarray) -> np.ndarray:
    if _copied is None:
        raise NotImplementedError("no copy of the course was found")
    return _copied["softmax"](Z)


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    if _copied is None:
        raise NotImplementedError("no copy of the course was found")
    return _copied["softmax_cross_entropy"](logits, labels)
