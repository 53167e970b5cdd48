"""The sandboxed child: locks itself down, then imports the learner's file and makes the calls.

It runs in a process forked by the zygote for one exercise. Everything before `_run` is
trusted set-up; from `load_module` on, the learner's code may have changed anything in this
process, so the child only ever *reports*: each message goes out on the results pipe as plain
data (see `wire.py`), and the grader believes none of it beyond what plain data can say.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import sys
from pathlib import Path
from typing import Any, NoReturn

RESULTS_FD = 3


def send(message: Any) -> None:
    from grader.sandbox.wire import dumps, frame

    data = memoryview(frame(dumps(message)))
    while data:
        data = data[os.write(RESULTS_FD, data) :]


def _set_limit(kind: int, soft: int, hard: int | None = None) -> None:
    # a platform that lacks or caps this limit keeps its own; the wall clock still applies
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(kind, (soft, soft if hard is None else hard))


PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38


def prctl(option: int, value: int) -> None:
    """Linux's prctl(2), where there is one; elsewhere the other limits still apply."""
    if sys.platform != "linux":
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def _own_descriptors(results_w: int, output_w: int) -> None:
    """Standard input closed, output to the capture pipe, every other inherited fd gone."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(output_w, 1)
    os.dup2(output_w, 2)
    os.dup2(results_w, RESULTS_FD)
    os.closerange(RESULTS_FD + 1, 1 << 16)
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115


def lock_down(request: dict[str, Any], results_w: int, output_w: int) -> None:
    os.setsid()  # its own process group, to be killed whole, and no terminal to read
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGCHLD):
        signal.signal(number, signal.SIG_DFL)
    _own_descriptors(results_w, output_w)
    limits = request["limits"]
    cpu = int(limits["cpu"])
    _set_limit(resource.RLIMIT_CPU, cpu, cpu + 1)
    _set_limit(resource.RLIMIT_AS, int(limits["memory"]))
    _set_limit(resource.RLIMIT_CORE, 0)
    _set_limit(resource.RLIMIT_FSIZE, int(limits["file_size"]))
    user = request.get("user")
    if user is not None:
        _set_limit(resource.RLIMIT_NPROC, int(limits["processes"]))
        os.setgroups([])
        os.setgid(user["gid"])
        os.setuid(user["uid"])
        if os.getuid() == 0 or os.geteuid() == 0:
            raise PermissionError("could not leave root")
    # after the user switch, which clears it: if the zygote dies (the grader was stopped),
    # the child dies with it instead of running on alone
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    prctl(PR_SET_NO_NEW_PRIVS, 1)  # setuid programs (sudo, su) cannot lift it back up
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])


def _run(request: dict[str, Any]) -> None:
    from grader.runner import exercise_events

    for event in exercise_events(Path(request["path"]), request["calls"]):
        send(event)


def serve(request: dict[str, Any], results_w: int, output_w: int) -> NoReturn:
    """The whole life of a sandboxed child; it never returns into the zygote's code."""
    status = 0
    try:
        try:
            lock_down(request, results_w, output_w)
        except BaseException as error:
            send(("sandbox_error", f"{type(error).__name__}: {error}"))
            os._exit(70)
        if request.get("probe"):
            send(("probe", probe(request["probe"])))
        else:
            _run(request)
    except MemoryError:
        send(("memory", None))
    except BaseException:
        status = 71
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(BaseException):
                stream.flush()
        os._exit(status)


def probe(checks: dict[str, list[str]]) -> dict[str, list[str]]:
    """Which of these paths the locked-down child can read or write: what a learner could."""
    reached: dict[str, list[str]] = {"read": [], "write": []}
    for path in checks.get("read", []):
        try:
            if os.path.isdir(path):
                os.listdir(path)
            else:
                with open(path, "rb") as file:
                    file.read(1)
            reached["read"].append(path)
        except OSError:
            pass
    for folder in checks.get("write", []):
        target = os.path.join(folder, f".bpgrade-probe-{os.getpid()}")
        try:
            with open(target, "x"):
                pass
            os.unlink(target)
            reached["write"].append(folder)
        except OSError:
            pass
    return reached
