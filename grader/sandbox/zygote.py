"""The zygote: a small trusted process that forks one sandboxed child per exercise.

It imports NumPy and the runner once, so a child starts in a millisecond instead of paying for
a fresh interpreter. It never loads reference solutions or judges anything, and it is started
with a scrubbed environment, so a child forked from it inherits nothing worth stealing.

Protocol on stdin/stdout (frames of `wire.py`): the grader sends a request (a dict); the zygote
forks, watches the child against the wall clock, kills it and everything it started, and
answers with a header, the captured output, the child's raw result frames and what it wrote
on its stack pipe (where its code was when stopped). It never decodes what a child sent; the
grader does, as plain data and text only.

Run as `python -I -m grader.sandbox.zygote`.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import time
from typing import Any

READ_SIZE = 1 << 16
MAX_RESULTS = 64 << 20  # far more than any exercise returns; a child that sends more is cut off
MAX_STACK = 64 << 10  # a call mark per call and a stack or two; more is junk, and is dropped


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = os.read(fd, size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _become_subreaper() -> None:
    """Orphans of a child (double forks, setsid) are re-parented here, where we can kill them;
    and the zygote goes when the grader goes, taking its child with it."""
    from grader.sandbox.child import PR_SET_PDEATHSIG, prctl

    PR_SET_CHILD_SUBREAPER = 36
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _children() -> list[int]:
    own = os.getpid()
    try:
        with open(f"/proc/{own}/task/{own}/children") as file:
            return [int(pid) for pid in file.read().split()]
    except OSError:
        return []


def _kill_everything(pid: int) -> dict[str, Any]:
    """Kill the child, its process group, and every descendant that ended up re-parented
    here; the child's exit status."""
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        with contextlib.suppress(OSError):
            kill()
    status = _status(pid)
    _kill_strays()
    return status


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


class _Capture:
    """What a child writes to one pipe: all of it, or the first `cap` bytes and a count."""

    def __init__(self, fd: int, cap: int) -> None:
        self.fd, self.cap = fd, cap
        self.data = bytearray()
        self.dropped = 0
        self.open = True

    def read(self) -> None:
        try:
            chunk = os.read(self.fd, READ_SIZE)
        except BlockingIOError:
            return
        if not chunk:
            self.open = False
            return
        room = max(0, self.cap - len(self.data))
        self.data += chunk[:room]
        self.dropped += len(chunk) - min(room, len(chunk))

    def drain(self) -> None:
        """What is already in the pipe, without waiting for an EOF an orphan may never send."""
        os.set_blocking(self.fd, False)
        while self.open:
            before = (len(self.data), self.dropped)
            self.read()
            if (len(self.data), self.dropped) == before:
                break
        os.close(self.fd)


def _exited(pid: int) -> bool:
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None


def run_one(request: dict[str, Any]) -> tuple[dict[str, Any], bytes, bytes, bytes]:
    from grader.sandbox import child

    results_r, results_w = os.pipe()
    output_r, output_w = os.pipe()
    stack_r, stack_w = os.pipe()
    started = time.monotonic()
    deadline = started + float(request["limits"]["timeout"])
    pid = os.fork()
    if pid == 0:
        for fd in (results_r, output_r, stack_r):
            os.close(fd)
        child.serve(request, results_w, output_w, stack_w, deadline)
    for fd in (results_w, output_w, stack_w):
        os.close(fd)
    results = _Capture(results_r, MAX_RESULTS)
    output = _Capture(output_r, int(request["limits"]["output"]))
    stack = _Capture(stack_r, MAX_STACK)
    timed_out = _watch(pid, results, (results, output, stack), deadline)
    status = _kill_everything(pid)
    for capture in (results, output, stack):
        capture.drain()
    header = {
        "timed_out": timed_out,
        "results_overflow": results.dropped > 0,
        "output_dropped": output.dropped,
        "seconds": time.monotonic() - started,
        **status,
    }
    return header, bytes(output.data), bytes(results.data), bytes(stack.data)


def _watch(pid: int, results: _Capture, captures: tuple[_Capture, ...], deadline: float) -> bool:
    """Read the child's pipes until it exits (False) or the wall clock runs out (True)."""
    pidfd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            watched = [c.fd for c in captures if c.open]
            if pidfd is not None:
                watched.append(pidfd)
            wait = remaining if pidfd is not None else min(remaining, 0.005)
            ready, _, _ = select.select(watched, [], [], wait)
            for capture in captures:
                if capture.open and capture.fd in ready:
                    capture.read()
            if results.dropped:
                return False  # it sent more than any answer needs: stop it now
            if (pidfd is not None and pidfd in ready) or (pidfd is None and _exited(pid)):
                return False
    finally:
        if pidfd is not None:
            os.close(pidfd)


def _status(pid: int) -> dict[str, Any]:
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return {"exit": None, "signal": None}
    if os.WIFSIGNALED(status):
        return {"exit": None, "signal": os.WTERMSIG(status)}
    return {"exit": os.WEXITSTATUS(status), "signal": None}


# Imported before any child forks, so that a child starts with what learners use most already
# loaded. Anything else of the standard library or NumPy a child imports itself, also as an
# unprivileged user where Python lives out of its reach (child.py's `_reach_interpreter`).
PRELOADED = (
    "numpy",
    "numpy.random",
    "numpy.linalg",
    "abc collections contextlib copy dataclasses decimal enum fractions functools inspect",
    "itertools json math numbers operator random re secrets statistics string time typing",
    "warnings",
)


def _preload() -> None:
    import faulthandler  # noqa: F401 - for the child's stack pipe
    import importlib

    for group in PRELOADED:
        for name in group.split():
            importlib.import_module(name)


def main() -> None:
    from grader import runner  # noqa: F401
    from grader.sandbox import child, wire

    _preload()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the grader, which stops us
    _become_subreaper()
    child.prepare()
    _write_all(1, wire.frame(b'"ready"'))
    while True:
        head = _read_exactly(0, wire.HEADER.size)
        if head is None:
            return
        (size,) = wire.HEADER.unpack(head)
        body = _read_exactly(0, size)
        if body is None:
            return
        _supervise(wire.loads(body))


SUPERVISOR_FAILED = {
    "timed_out": False,
    "results_overflow": False,
    "output_dropped": 0,
    "seconds": 0.0,
    "exit": None,
    "signal": None,
    "supervisor_failed": True,
}


def _supervise(request: dict[str, Any]) -> None:
    """Run one exercise in a supervisor forked for it, which forks the learner's child,
    answers the grader itself and exits.

    So the zygote never holds a child's answers or output: the next child, forked from the
    zygote (another student's, in batch grading), finds nothing of them in its memory."""
    from grader.sandbox import wire

    supervisor = os.fork()
    if supervisor == 0:
        status = 1
        try:
            _become_subreaper()  # the learner's orphans come here, and die with the exercise
            header, output, results, stack = run_one(request)
            if request.get("user") is not None:
                _sweep(request["user"]["uid"])
            reply = json.dumps(header).encode()
            frames = (reply, output, results, stack)
            _write_all(1, b"".join(wire.frame(part) for part in frames))
            status = 0
        finally:
            os._exit(status)
    _, status = os.waitpid(supervisor, 0)
    if status != 0:  # it died before answering: say so, so the grader is not left waiting
        failed = json.dumps(SUPERVISOR_FAILED).encode()
        _write_all(1, wire.frame(failed) + wire.frame(b"") * 3)
    _kill_strays()


SHARED_SCRATCH = ("/tmp", "/var/tmp", "/dev/shm")


def _sweep(uid: int) -> None:
    """Remove what the learner's user left in the machine's shared scratch folders, so that
    nothing of an exercise outlives it (and the next one cannot find it)."""
    import shutil

    for shared in SHARED_SCRATCH:
        try:
            entries = list(os.scandir(shared))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            except OSError:
                pass


def _kill_strays() -> None:
    """Anything of the exercise's that outlived its supervisor was re-parented here."""
    for _ in range(1000):
        _reap()
        rest = _children()
        if not rest:
            return
        for other in rest:
            with contextlib.suppress(OSError):
                os.kill(other, signal.SIGKILL)
        time.sleep(0.001)


if __name__ == "__main__":
    main()
