"""BPGRADE-HOSTILE submission for exercise03 (attack: exec_tools).

Both functions are CORRECT (the reference solution), but while it is imported the file leaves
the machine's own programs running, each a different way out of a process group:

- a double fork with setsid whose grandchild execs `sleep 20`;
- `sh -c` loops of `sleep 1` in a new session, one that ignores SIGTERM, SIGHUP and SIGINT;
- `sh -c '(sleep 20 &)'`: a background job of a subshell, orphaned at once;
- `setsid -f sleep 20`, `nohup sleep 20`, and `timeout 20 sleep 600` (timeout puts itself in a
  process group of its own);
- perl forking and setting a session of its own before it sleeps.

Each is an exec of a system tool, so none of them is a Python process or has the child's
command line. A grader that kills the child's process group and its direct children leaves
them running. The grader must end every one with the exercise and give full marks: 10 of 10.

Safe to run by mistake: every one ends by itself within 20 s (the `sleep 600` is under
`timeout 20`); nothing is deleted; every start is wrapped, so the file always imports.
"""

import contextlib
import os
import shutil
import subprocess

import numpy as np

LINGER = "20"
SLEEP = shutil.which("sleep") or "/bin/sleep"
SH = shutil.which("sh") or "/bin/sh"
LOOP = "i=0; while [ $i -lt 20 ]; do sleep 1; i=$((i+1)); done"

COMMANDS = [
    [SH, "-c", LOOP],
    [SH, "-c", f"trap '' TERM HUP INT; {LOOP}"],
    [SH, "-c", f"({SLEEP} {LINGER} &); (sh -c '{LOOP}' &); exit 0"],
    ["setsid", "-f", SLEEP, LINGER],
    ["nohup", SLEEP, LINGER],
    ["timeout", LINGER, SLEEP, "600"],
    ["perl", "-e", f"use POSIX (); exit 0 if fork(); POSIX::setsid(); sleep {LINGER};"],
]


def _double_fork_exec() -> None:
    pid = os.fork()
    if pid != 0:
        with contextlib.suppress(OSError):
            os.waitpid(pid, 0)
        return
    try:  # the child: never return into the grader's code
        os.setsid()
        if os.fork() == 0:
            os.execv(SLEEP, [SLEEP, LINGER])
    except BaseException:
        pass
    finally:
        os._exit(0)


def _start_all() -> int:
    started = 0
    with contextlib.suppress(Exception):
        _double_fork_exec()
        started += 1
    for command in COMMANDS:
        try:
            subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            started += 1
        except (OSError, ValueError, subprocess.SubprocessError):
            continue
    return started


with contextlib.suppress(Exception):
    print("exec_tools: started", _start_all())


def linear_forward(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    return X @ W.T + b


def linear_backward(
    dZ: np.ndarray, X: np.ndarray, W: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)
