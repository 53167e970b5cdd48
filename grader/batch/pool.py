"""A pool of trusted worker processes that run one function over many tasks: each worker
is a fresh interpreter in a process group of its own (a terminal's Ctrl-C reaches only the
caller, which stops the workers itself); one that dies is replaced and its task tried again;
one that takes too long is killed. It knows nothing of what the tasks are."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, TypeVar

from grader.batch.errors import BatchError
from grader.sandbox import THREADS

ATTEMPTS = 2  # a task whose worker dies this many times is not tried again

T = TypeVar("T")


@dataclass(frozen=True)
class Broken:
    """A task whose worker died each time it was tried."""

    exit_codes: list[int | None]

    def describe(self) -> str:
        how = []
        for code in self.exit_codes:
            if code is not None and code < 0 and -code in signal.Signals._value2member_map_:
                how.append(f"killed by {signal.Signals(-code).name}")
            else:
                how.append(f"exit status {code}")
        return ", ".join(how)


@dataclass(frozen=True)
class Failed:
    """The work function raised: a fault of the grader, with its traceback."""

    error: str


class WorkerPool(Generic[T]):
    """N trusted worker processes; each runs `setup(config)` once and `work(state, task)` per
    task. A worker that dies is replaced; its task is tried again, up to `attempts` times.

    Workers are fresh interpreters (not forks of a process that may have NumPy's threads
    running), started with `python -c`, so nothing of the caller's main script runs in them;
    `setup`, `work`, `config` and the tasks travel pickled, so the functions must be
    module-level ones, importable with the caller's `sys.path`.
    """

    def __init__(
        self,
        jobs: int,
        setup: Callable[[Any], Any],
        work: Callable[[Any, T], Any],
        config: Any,
        *,
        attempts: int = ATTEMPTS,
        deadline: float | None = None,  # seconds a task may take before its worker is killed
    ) -> None:
        self.jobs, self.setup, self.work, self.config = max(1, jobs), setup, work, config
        self.attempts, self.deadline = attempts, deadline
        self.durations: list[float] = []  # seconds each finished task took in its worker
        self._workers: list[_Worker] = []

    def running(self) -> list[float]:
        """Seconds each task being worked on has had so far."""
        now = time.monotonic()
        return [now - w.started for w in self._workers if w.task is not None]

    def run(self, tasks: Sequence[T]) -> Generator[tuple[T, Any], None, None]:
        """Each task with what `work` returned, a `Failed`, or a `Broken`, as they finish."""
        pending = deque(range(len(tasks)))
        deaths: dict[int, list[int | None]] = {}
        remaining = len(tasks)
        workers: list[_Worker] = []
        self._workers = workers
        startup_deaths = 0
        finished = False
        try:
            while remaining:
                while len(workers) < min(self.jobs, remaining):
                    workers.append(_Worker(self))
                for worker in workers:
                    if worker.ready and worker.task is None and pending:
                        worker.give(pending.popleft(), tasks)
                wait([w.inbox for w in workers], self._timeout(workers))
                for worker in list(workers):
                    try:
                        for index, outcome in worker.receive():
                            remaining -= 1
                            self.durations.append(time.monotonic() - worker.started)
                            yield tasks[index], outcome
                        dead = worker.overdue(self.deadline)
                    except (EOFError, OSError):
                        dead = True  # its end of the pipe closed: it is gone
                    if not dead:
                        continue
                    workers.remove(worker)
                    code = worker.stop()
                    if not worker.ready:
                        startup_deaths += 1
                        if startup_deaths > self.jobs + 2:
                            raise BatchError(
                                f"the grading workers keep dying as they start (exit status "
                                f"{code}); see the errors above"
                            )
                    if worker.task is None:
                        continue
                    index = worker.task
                    deaths.setdefault(index, []).append(code)
                    if len(deaths[index]) >= self.attempts:
                        remaining -= 1
                        yield tasks[index], Broken(deaths[index])
                    else:
                        pending.appendleft(index)
            finished = True
        finally:
            for worker in workers:
                worker.stop(politely=finished)

    def _timeout(self, workers: list[_Worker]) -> float | None:
        if self.deadline is None:
            return None
        busy = [w.started + self.deadline for w in workers if w.task is not None]
        return max(0.0, min(busy) - time.monotonic()) + 0.01 if busy else None


# A worker's first message is the caller's sys.path (plain strings), so that it can import
# the functions that come next.
_BOOT = (
    "import sys\n"
    "from multiprocessing.connection import Connection\n"
    "inbox = Connection(int(sys.argv[1]), writable=False)\n"
    "sys.path[:] = inbox.recv()\n"
    "from grader.batch.pool import _serve\n"
    "_serve(inbox, Connection(int(sys.argv[2]), readable=False))\n"
)


class _Worker:
    def __init__(self, pool: WorkerPool[Any]) -> None:
        their_inbox, our_outbox = os.pipe()
        our_inbox, their_outbox = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _BOOT, str(their_inbox), str(their_outbox)],
                pass_fds=(their_inbox, their_outbox),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,  # the batch's own output stays its own
                # a group of its own: a terminal's Ctrl-C reaches the batch, which stops the
                # workers itself, and no worker dies of it mid-import with a traceback
                process_group=0,
                env={**os.environ, **THREADS},  # one BLAS thread each: N workers for N CPUs
            )
        except BaseException:
            for fd in (our_inbox, our_outbox):
                os.close(fd)
            raise
        finally:
            # only the worker holds its ends now: when it ends, our inbox reads end-of-file
            os.close(their_inbox)
            os.close(their_outbox)
        self.inbox = Connection(our_inbox, writable=False)
        self.outbox = Connection(our_outbox, readable=False)
        self.outbox.send(list(sys.path))
        self.outbox.send((pool.setup, pool.work, pool.config))
        self.ready = False
        self.task: int | None = None
        self.started = 0.0

    def give(self, index: int, tasks: Sequence[Any]) -> None:
        self.task, self.started = index, time.monotonic()
        self.outbox.send(tasks[index])

    def receive(self) -> Iterator[tuple[int, Any]]:
        while self.inbox.poll():
            kind, payload = self.inbox.recv()
            if kind == "ready":
                self.ready = True
            elif kind == "setup_failed":
                raise BatchError(f"a grading worker could not start: {payload}")
            else:
                index, self.task = self.task, None
                assert index is not None
                yield index, payload if kind == "done" else Failed(payload)

    def overdue(self, deadline: float | None) -> bool:
        return (
            deadline is not None
            and self.task is not None
            and time.monotonic() - self.started > deadline
        )

    def stop(self, politely: bool = False) -> int | None:
        """Let it close its sandbox and exit, or end it now; its exit status."""
        if politely:
            with contextlib.suppress(OSError):
                self.outbox.send(None)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10 if politely else 0.05)
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: it closes its sandbox and exits
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(5)
        if self.process.poll() is None:
            self.process.kill()
        code = self.process.wait()
        self.inbox.close()
        self.outbox.close()
        return code


def _terminated(number: int, frame: object) -> None:
    raise SystemExit(0)


def _serve(inbox: Connection, outbox: Connection) -> None:
    """A worker's life: set up, then one task at a time until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the batch, which stops us
    signal.signal(signal.SIGTERM, _terminated)
    state = None
    try:
        try:
            setup, work, config = inbox.recv()
            state = setup(config)
        except Exception as error:
            outbox.send(("setup_failed", f"{type(error).__name__}: {error}"))
            return
        outbox.send(("ready", None))
        while True:
            try:
                task = inbox.recv()
            except EOFError:
                return  # the batch is gone
            if task is None:
                return
            try:
                outbox.send(("done", work(state, task)))
            except Exception:
                outbox.send(("failed", traceback.format_exc()))
    finally:
        close = getattr(state, "close", None)
        if close is not None:
            close()


def cpu_count() -> int:
    if hasattr(os, "process_cpu_count"):
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1
