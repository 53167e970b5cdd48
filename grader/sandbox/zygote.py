"""The zygote: a small trusted process that forks one sandboxed child per exercise.

It imports NumPy and the runner once, so a child starts in a millisecond instead of paying for
a fresh interpreter. There is one zygote per runtime of the catalog (environment variable
BPGRADE_RUNTIME): "numpy", which never imports torch, and "torch", which also imports torch and
warms it once, so a torch exercise costs a fork, not an import. It never loads reference
solutions or judges anything, and it is started with a scrubbed environment, so a child forked
from it inherits nothing worth stealing.

Protocol on stdin/stdout (frames of `wire.py`): the grader sends a request (a dict); the zygote
forks, watches the child against the wall clock, kills it and everything it started, and
answers with a header, the captured output, the child's raw result frames and what it wrote
on its stack pipe (where its code was when stopped). It never decodes what a child sent; the
grader does, as plain data and text only.

As root, the zygote builds the learner's minimal filesystem once (`namespaces.py`) and a
folder of control groups (`cgroups.py`); each exercise's supervisor then takes fresh PID, mount,
IPC and network namespaces and a control group for it, and the kernel ends and frees all of it
with the exercise. Where the kernel refuses one, the sweeps of `sweep.py` stand in, and the
reply's header names what was refused.

Hidden calls reach the child only after it has answered the public ones: the grader sends them
as a second frame, which the supervisor reads from the zygote's stdin after forking the child
(so neither the zygote nor the child's memory holds them earlier), and writes to the child once
as many results as public calls have come back.

Run as `python -I -m grader.sandbox.zygote`.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from grader.sandbox import sweep

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


def _kill_everything(pid: int, box: Exercise | None = None) -> dict[str, Any]:
    """Kill the child, its process group, and every descendant that ended up re-parented
    here; the child's exit status. In a PID namespace the child is its process 1, and the
    kernel kills every other process of the namespace as it dies."""
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        with contextlib.suppress(OSError):
            kill()
    status = _status(pid)
    _kill_strays()
    if box is not None:
        box.kill_rest()
        _kill_strays()  # what kill_rest killed was re-parented here: reaped before the answer
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


RESULT_PREFIX = b'{"$tuple":["result",'  # how `wire.dumps` begins a call's result


class _Delivery:
    """The hidden calls, held by the supervisor until the child has answered the public ones:
    counted from the frames on the results pipe, without decoding them."""

    def __init__(self, public: int, hidden: bytes | None, fd: int | None) -> None:
        self.public, self.hidden, self.fd = public, hidden, fd
        self.answered = 0
        self.scanned = 0  # bytes of the results stream counted so far
        self.sent_at: tuple[int, int] | None = None  # (output, results) bytes when delivered

    def due(self, results: _Capture) -> bool:
        if self.hidden is None or self.sent_at is not None:
            return False
        data = results.data
        while len(data) - self.scanned >= 8:
            size = int.from_bytes(data[self.scanned : self.scanned + 8], "big")
            end = self.scanned + 8 + size
            if end > len(data):
                break
            if data.startswith(RESULT_PREFIX, self.scanned + 8, end):
                self.answered += 1
            self.scanned = end
        return self.answered >= self.public

    def send(self, output: _Capture, results: _Capture) -> None:
        """Write the hidden calls to the child (the pipe was sized to hold them whole)."""
        assert self.hidden is not None and self.fd is not None
        self.sent_at = (len(output.data) + output.dropped, len(results.data))
        with contextlib.suppress(OSError):
            _write_all(self.fd, len(self.hidden).to_bytes(8, "big") + self.hidden)
        with contextlib.suppress(OSError):
            os.close(self.fd)
        self.fd = None


def _calls_pipe(size: int) -> tuple[int, int]:
    """A pipe whose buffer holds `size` bytes, so that writing the hidden calls never blocks."""
    read, write = os.pipe()
    F_SETPIPE_SZ = 1031
    with contextlib.suppress(OSError):
        import fcntl

        fcntl.fcntl(write, F_SETPIPE_SZ, max(size, 1 << 16))
    return read, write


def run_one(
    request: dict[str, Any], box: Exercise | None = None
) -> tuple[dict[str, Any], bytes, bytes, bytes]:
    from grader.sandbox import child

    hidden_count = int(request.get("hidden", 0))
    results_r, results_w = os.pipe()
    output_r, output_w = os.pipe()
    stack_r, stack_w = os.pipe()
    calls_r, calls_w = _calls_pipe(int(request.get("hidden_size", 0))) if hidden_count else (-1, -1)
    started = time.monotonic()
    deadline = started + float(request["limits"]["timeout"])
    pid = os.fork()
    if pid == 0:
        for fd in (results_r, output_r, stack_r, calls_w):
            if fd >= 0:
                os.close(fd)
        enter = None if box is None else box.enter
        child.serve(request, results_w, output_w, stack_w, deadline, calls_r, enter)
    for fd in (results_w, output_w, stack_w, calls_r):
        if fd >= 0:
            os.close(fd)
    # only now, with the child forked, do the hidden calls enter this process's memory
    hidden = _read_frame(0) if hidden_count else None
    delivery = _Delivery(len(request.get("calls", [])), hidden, calls_w if hidden_count else None)
    results = _Capture(results_r, MAX_RESULTS)
    output = _Capture(output_r, int(request["limits"]["output"]))
    stack = _Capture(stack_r, MAX_STACK)
    timed_out = _watch(pid, results, (results, output, stack), deadline, delivery)
    status = _kill_everything(pid, box)
    if delivery.fd is not None:
        os.close(delivery.fd)
    for capture in (results, output, stack):
        capture.drain()
    header = {
        "timed_out": timed_out,
        "results_overflow": results.dropped > 0,
        "output_dropped": output.dropped,
        "seconds": time.monotonic() - started,
        "hidden_sent_at": delivery.sent_at,
        **status,
    }
    if box is not None:
        header.update(box.finish())
    return header, bytes(output.data), bytes(results.data), bytes(stack.data)


def _read_frame(fd: int) -> bytes:
    from grader.sandbox import wire

    head = _read_exactly(fd, wire.HEADER.size)
    if head is None:
        raise EOFError("the grader closed the sandbox's input")
    (size,) = wire.HEADER.unpack(head)
    body = _read_exactly(fd, size)
    if body is None:
        raise EOFError("the grader closed the sandbox's input")
    return body


def _watch(
    pid: int,
    results: _Capture,
    captures: tuple[_Capture, ...],
    deadline: float,
    delivery: _Delivery,
) -> bool:
    """Read the child's pipes until it exits (False) or the wall clock runs out (True); hand
    it the hidden calls once it has answered the public ones."""
    pidfd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
    output = captures[1]
    try:
        while True:
            if delivery.due(results):
                delivery.send(output, results)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                _ask_for_the_stack(pid, captures[2])
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


STACK_GRACE = 0.5  # seconds a timed-out child has to write where it is, before it is killed
STACK_HEADER = b"(most recent call first):"


def _ask_for_the_stack(pid: int, stack: _Capture) -> None:
    """Make sure the stack of a child that ran out of time is written before it is killed.

    The child's own timer writes it a moment before the deadline, but on a busy machine that
    thread may not have run yet; a signal has faulthandler write it now, and the stack pipe is
    read for a bounded moment. Learner code that blocks the signal only loses its line."""
    if STACK_HEADER in stack.data[stack.data.rfind(b"call ") :]:
        return  # already written during the call that is running
    from grader.sandbox.child import STACK_SIGNAL

    with contextlib.suppress(OSError):
        os.kill(pid, STACK_SIGNAL)
    until = time.monotonic() + STACK_GRACE
    while stack.open and (left := until - time.monotonic()) > 0:
        ready, _, _ = select.select([stack.fd], [], [], left)
        if not ready:
            break
        stack.read()
        tail = stack.data[stack.data.rfind(b"call ") :]
        if STACK_HEADER in tail and tail.endswith(b"\n"):
            # the rest of the stack follows in the same moment; a little more to read it
            ready, _, _ = select.select([stack.fd], [], [], 0.02)
            if ready:
                stack.read()
                continue
            break


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


RUNTIMES = ("numpy", "torch")  # the catalog's runtimes (grader.catalog.Runtime)


def _preload(runtime: str) -> None:
    import faulthandler  # noqa: F401 - for the child's stack pipe
    import importlib

    for group in PRELOADED:
        for name in group.split():
            importlib.import_module(name)
    if runtime == "torch":
        _warm_torch()


def _warm_torch() -> None:
    """Import torch and run one small autograd op, once, here: a child forked afterwards finds
    it ready (import torch takes seconds, the first backward seconds more; a fork, a few ms).
    One thread per child: the children of a batch run side by side, and a thread pool started
    here would not survive the fork anyway."""
    import torch

    torch.set_num_threads(1)
    with contextlib.suppress(RuntimeError):  # already set by someone: it is one thread then too
        torch.set_num_interop_threads(1)
    from grader.torch_warmup import first_uses

    first_uses()


class Exercise:
    """One exercise's confinement, set up by its supervisor: fresh namespaces, the submission
    and a private scratch space in the minimal root, a control group. What the kernel refused
    is named in `refused`, and swept for instead when the exercise ends."""

    def __init__(self, setup: Setup, request: dict[str, Any]) -> None:
        from grader.sandbox import cgroups, namespaces

        self.setup, self.request = setup, request
        self.uid = int(request["user"]["uid"])
        limits = request["limits"]
        self.refused = list(setup.refused)
        if setup.root is None:  # (before any namespace: the sweep forks)
            sweep.sweep(self.uid)  # nothing of an earlier holder of this uid may be waiting
        self.refused += namespaces.enter_exercise_namespaces(setup.root, setup.without)
        self.private_root = setup.root is not None and "a mount namespace" not in self.refused
        self.group: cgroups.ExerciseGroup | None = None
        if setup.cgroups is not None:
            try:  # named after this supervisor, which no other exercise of the zygote shares
                self.group = cgroups.ExerciseGroup.make(
                    setup.cgroups, str(os.getpid()), int(limits["memory"]), int(limits["processes"])
                )
            except OSError:
                self.refused.append("a control group for the exercise")
        if self.private_root:
            assert setup.root is not None
            drivers = request.get("drivers")
            namespaces.mount_exercise(
                setup.root,
                request["workspace"],
                self.uid,
                int(limits["scratch"]),
                os.path.dirname(drivers) if drivers else None,
            )

    def where(self) -> dict[str, Any]:
        """The paths the child sees: inside the minimal root, or the machine's own."""
        from grader.sandbox import namespaces

        if not self.private_root:
            return {}
        file = os.path.join(namespaces.SUBMISSION, self.request["file"])
        env = dict(self.request["env"], HOME=namespaces.SCRATCH, TMPDIR=namespaces.SCRATCH)
        where = {"path": file, "cwd": namespaces.SUBMISSION, "env": env}
        drivers = self.request.get("drivers")
        if drivers:
            where["drivers"] = os.path.join(namespaces.DRIVERS, os.path.basename(drivers))
        return where

    def enter(self) -> None:
        """In the child, still root: join the group, then the minimal root."""
        from grader.sandbox import namespaces

        if self.group is not None:
            self.group.join()
        if self.private_root:
            assert self.setup.root is not None
            namespaces.enter_root(self.setup.root, "a PID namespace" not in self.refused)

    def kill_rest(self) -> None:
        """After the child: what a PID namespace would have killed, where there was none."""
        if "a PID namespace" in self.refused:
            if self.group is not None:
                self.group.kill_all()
            sweep.kill_processes(self.uid)

    def finish(self) -> dict[str, Any]:
        memory = self.group is not None and self.group.out_of_memory()
        if self.group is not None:
            self.group.remove()
        if "an IPC namespace" in self.refused:
            sweep.remove_ipc(self.uid)
        if not self.private_root:
            sweep.remove_files(self.uid)
        folder = "/submission" if self.private_root else None
        return {"refused": self.refused, "memory_exceeded": memory, "folder": folder}


@dataclass
class Setup:
    """What the zygote set up once, as root: the minimal root and a folder of control groups;
    and what the kernel refused of them."""

    root: Any = None
    cgroups: Any = None
    refused: list[str] = field(default_factory=list)
    without: frozenset[str] = frozenset()  # what to do without, as a refusing kernel would

    @classmethod
    def make(cls, hidden: list[str]) -> Setup:
        from grader.sandbox import cgroups, namespaces
        from grader.sandbox.child import interpreter_folders

        asked = os.environ.get("BPGRADE_SANDBOX_WITHOUT", "")
        setup = cls(without=frozenset(filter(None, asked.split(","))))
        if not hasattr(os, "geteuid") or os.geteuid() != 0:
            return setup
        folders = [sys.prefix, sys.base_prefix, sys.exec_prefix, *interpreter_folders()]
        try:
            if "filesystem" in setup.without:
                raise PermissionError("done without, as asked")
            setup.root = namespaces.build_root(folders, hidden)
        except OSError:
            setup.refused.append("a private filesystem")
        setup.cgroups = None if "cgroup" in setup.without else cgroups.available()
        if setup.cgroups is None:
            setup.refused.append("a control group for the exercise")
        return setup


def _course_folders() -> list[str]:
    """What learner code must never see, even inside a folder it may: the grader's own
    package (a regular install keeps the course in it) and the course."""
    import grader

    folders = [os.path.dirname(os.path.abspath(grader.__file__))]
    with contextlib.suppress(Exception):
        from grader.course import course_root

        folders.append(str(course_root()))
    return folders


def main() -> None:
    from grader import runner  # noqa: F401
    from grader.sandbox import child, wire

    runtime = os.environ.get("BPGRADE_RUNTIME", "numpy")
    if runtime not in RUNTIMES:
        raise SystemExit(f"unknown runtime {runtime!r}")
    _preload(runtime)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the grader, which stops us
    _become_subreaper()
    child.prepare()
    setup = Setup.make(_course_folders())
    ready = {"ready": True, "refused": setup.refused}
    _write_all(1, wire.frame(json.dumps(ready).encode()))
    while True:
        head = _read_exactly(0, wire.HEADER.size)
        if head is None:
            return
        (size,) = wire.HEADER.unpack(head)
        body = _read_exactly(0, size)
        if body is None:
            return
        if not _supervise(wire.loads(body), setup):
            return  # a hidden frame may be left unread in our input: a fresh zygote is needed


SUPERVISOR_FAILED = {
    "timed_out": False,
    "results_overflow": False,
    "output_dropped": 0,
    "seconds": 0.0,
    "exit": None,
    "signal": None,
    "supervisor_failed": True,
}


def _supervise(request: dict[str, Any], setup: Setup) -> bool:
    """Run one exercise in a supervisor forked for it, which confines and forks the learner's
    child, answers the grader itself and exits. False if it failed before answering.

    So the zygote never holds a child's answers or output, nor the hidden calls: the next
    child, forked from the zygote (another student's, in batch grading), finds nothing of
    them in its memory."""
    from grader.sandbox import wire

    supervisor = os.fork()
    if supervisor == 0:
        status = 1
        try:
            _become_subreaper()  # the learner's orphans come here, and die with the exercise
            box = Exercise(setup, request) if request.get("user") is not None else None
            if box is not None:
                request.update(box.where())
            header, output, results, stack = run_one(request, box)
            reply = json.dumps(header).encode()
            frames = (reply, output, results, stack)
            _write_all(1, b"".join(wire.frame(part) for part in frames))
            status = 0
        finally:
            os._exit(status)
    _, status = os.waitpid(supervisor, 0)
    _kill_strays()
    if status != 0:  # it died before answering: say so, so the grader is not left waiting
        failed = json.dumps(SUPERVISOR_FAILED).encode()
        _write_all(1, wire.frame(failed) + wire.frame(b"") * 3)
        return not request.get("hidden")
    return True


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
