"""BPGRADE-HOSTILE submission for exercise03 (attack: orphan_pipe).

Both functions are CORRECT (the reference solution), but the file leaves processes behind that
sleep for 600 s holding its standard output and error open:

- while it is imported, a double fork with setsid: the grandchild is in a new session and its
  parent has exited, so it is re-parented away from the learner's process and outlives it; it
  keeps every descriptor it inherited, whatever pipe the grader reads results from included;
- on the first call of linear_forward, subprocess.Popen(..., start_new_session=True) of a
  Python that sleeps, with stdin, stdout and stderr inherited.

A grader that waits for EOF on the child's output pipe, or waits for every process it started,
hangs for ten minutes; one that kills only the child's process group leaves the orphans
running. The grader must kill everything the learner started (a subreaper or a cgroup), read
what is already in the pipes without waiting for EOF, finish promptly, and give full marks:
10 of 10. The forks are wrapped, so where starting processes is refused the file still
imports and still earns 10.
"""

import contextlib
import os
import subprocess
import sys
import time

import numpy as np

LINGER_SECONDS = 600
_started: list[object] = []


def _double_fork() -> None:
    try:
        pid = os.fork()
    except OSError:
        return
    if pid != 0:
        with contextlib.suppress(OSError):
            os.waitpid(pid, 0)
        return
    try:  # the child: never return into the grader's code
        os.setsid()
        if os.fork() == 0:
            time.sleep(LINGER_SECONDS)  # the grandchild, holding every inherited descriptor
    except BaseException:
        pass
    finally:
        os._exit(0)


def _popen_once() -> None:
    if _started:
        return
    try:
        _started.append(
            subprocess.Popen(
                [sys.executable, "-c", f"import time; time.sleep({LINGER_SECONDS})"],
                start_new_session=True,
            )
        )
    except (OSError, ValueError):
        _started.append(None)  # refused: do not try again


_double_fork()


def linear_forward(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    _popen_once()
    return X @ W.T + b


def linear_backward(
    dZ: np.ndarray, X: np.ndarray, W: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dX = dZ @ W
    dW = dZ.T @ X
    db = dZ.sum(axis=0)
    return dX, dW, db
