"""BPGRADE-HOSTILE submission for exercise02 (attack: fork_storm).

Every function is CORRECT (the reference solution), but while it is imported the file forks
as fast as it can for half a second: four spawners, each in a new session, each forking up to
50 children that exec `sleep 20` (or, where there is no /bin/sleep, sleep in Python), then
exiting, so that up to 200 orphans are left, re-parented away from the learner's process,
every one in a session of its own spawner's. A fork that fails (a limit on processes) is tried
again until the half second is over.

A grader that kills the child's process group and its direct children leaves most of them
running; one with no limit on processes lets it grow as far as the machine allows. The grader
must bound the number of processes per exercise, end all of them with the exercise, and give
full marks: 10 of 10.

Safe to run by mistake: at most 4 + 200 processes, each ending by itself within 20 s; nothing is
deleted; every attempt is wrapped, so the file always imports.
"""

import contextlib
import os
import shutil
import time

import numpy as np

LINGER_SECONDS = 20
SPAWNERS = 4
PER_SPAWNER = 50
STORM_SECONDS = 0.5
SLEEP = shutil.which("sleep") or "/bin/sleep"


def _grandchild() -> None:
    try:
        os.execv(SLEEP, [SLEEP, str(LINGER_SECONDS)])
    except BaseException:
        with contextlib.suppress(BaseException):
            time.sleep(LINGER_SECONDS)
    finally:
        os._exit(0)


def _spawner(started: float) -> None:
    made = failed = 0
    try:
        os.setsid()
        while made < PER_SPAWNER and time.monotonic() - started < STORM_SECONDS:
            try:
                pid = os.fork()
            except OSError:
                failed += 1
                time.sleep(0.001)
                continue
            if pid == 0:
                _grandchild()
            made += 1
    finally:
        os._exit(0)


def _storm() -> int:
    started = time.monotonic()
    spawners = []
    for _ in range(SPAWNERS):
        try:
            pid = os.fork()
        except OSError:
            continue
        if pid == 0:
            _spawner(started)  # never returns
        spawners.append(pid)
    for pid in spawners:
        with contextlib.suppress(OSError):
            os.waitpid(pid, 0)
    return len(spawners)


with contextlib.suppress(Exception):
    print("fork_storm: spawners", _storm())


def sigmoid(Z: np.ndarray) -> np.ndarray:
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    s = sigmoid(Z)
    return dA * (s * (1.0 - s))


def relu(Z: np.ndarray) -> np.ndarray:
    return np.maximum(Z, 0.0)


def relu_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    return np.where(Z > 0, dA, 0.0)


def tanh_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    t = np.tanh(Z)
    return dA * (1.0 - t**2)
