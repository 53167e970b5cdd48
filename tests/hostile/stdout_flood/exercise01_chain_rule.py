"""BPGRADE-HOSTILE submission for exercise01 (attack: stdout_flood).

Every function is CORRECT (the reference solution), but each call first prints 2.6 MiB:
2 MiB of 1 KiB lines through print() to stdout, 512 KiB to stderr, and 128 KiB written straight
to file descriptor 1 with os.write, past any sys.stdout the grader swapped in. Importing the
file prints about 9 MiB more, starting with a single line of 1 MiB. The grader makes 48 calls
for exercise01, so the whole run prints about 135 MiB (enough to sink a grader that keeps it
all, small enough to finish in well under a second when it is drained: about 0.4 s on the
machine it was written on, through the sandbox, against a 2 s test limit).

A grader that keeps all of it runs out of memory or writes a report of hundreds of megabytes;
one that reads it only after the child has finished deadlocks on a full pipe; one that lets
the raw os.write reach its own stdout corrupts `bpgrade check --json`. The grader must drain
and cap the output (keep the first part, count the rest), keep its own stdout clean, and give
full marks: 10 of 10.
"""

import math
import os
import sys

LINE = ("flood " * 170)[:1023] + "\n"  # 1 KiB
PER_CALL_STDOUT = 2 * 1024  # lines, 2 MiB
PER_CALL_STDERR = 512  # lines, 512 KiB
RAW = b"raw-flood " * (128 * 1024 // 10)  # about 128 KiB for fd 1 itself


def _write_raw(data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            written = os.write(1, view)
        except OSError:
            return  # fd 1 closed or broken: nothing more to flood
        view = view[written:]


def _flood() -> None:
    for _ in range(PER_CALL_STDOUT):
        print(LINE, end="")
    for _ in range(PER_CALL_STDERR):
        print(LINE, end="", file=sys.stderr)
    sys.stdout.flush()
    _write_raw(RAW)


print("x" * (1024 * 1024))  # one 1 MiB line
for _ in range(3):
    _flood()


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def neuron_loss(w: float, b: float, x: float, y: float) -> float:
    _flood()
    z = w * x + b
    a = sigmoid(z)
    return float((a - y) ** 2)


def _local(w: float, b: float, x: float, y: float) -> tuple[float, float, float]:
    z = w * x + b
    a = sigmoid(z)
    return float(2.0 * (a - y)), float(a * (1.0 - a)), float(x)


def local_derivatives(w: float, b: float, x: float, y: float) -> tuple[float, float, float]:
    _flood()
    return _local(w, b, x, y)


def _gradients(w: float, b: float, x: float, y: float) -> tuple[float, float]:
    dL_da, da_dz, dz_dw = _local(w, b, x, y)
    upstream = dL_da * da_dz
    return float(upstream * dz_dw), float(upstream * 1.0)


def neuron_gradients(w: float, b: float, x: float, y: float) -> tuple[float, float]:
    _flood()
    return _gradients(w, b, x, y)


def descent_step(w: float, b: float, x: float, y: float, lr: float) -> tuple[float, float]:
    _flood()
    dL_dw, dL_db = _gradients(w, b, x, y)
    return float(w - lr * dL_dw), float(b - lr * dL_db)
