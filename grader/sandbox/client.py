"""The grader's end of the sandbox: `Sandbox` starts the zygotes, sends each exercise's
planned calls to one, and reads its answer back; the only module of the grader through which
learner code runs (in the zygote's children, never here).

    with Sandbox(Limits()) as sandbox:
        workspace = sandbox.workspace(folder)          # a fresh copy of the submission
        outcome = sandbox.run(workspace / "exercise03_linear.py", calls)

It judges nothing: what a child sent back is read and told in sentences by `outcome.py`, the
folders it is given are made by `workspace.py`, and the notes it keeps say which protections
applied.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.calls import Call, NoResults
from grader.sandbox import launch, slots, wire
from grader.sandbox.limits import (
    DEFAULT_RUNTIME,
    THREADS,
    TORCH_ADDRESS_SPACE,
    Limits,
    is_root,
    size_text,
    torch_available,
    unprivileged,
)
from grader.sandbox.outcome import Outcome, read_outcome, torch_missing
from grader.sandbox.workspace import Folders

if TYPE_CHECKING:  # not imported at run time: the zygote imports this package, and what it
    # imports a learner's file of the same name cannot shadow (concurrent.futures imports
    # logging; grader.catalog, pydantic)
    from concurrent.futures import Future, ThreadPoolExecutor

    from grader.catalog import ExerciseEntry

PROBE_SECONDS = 20  # a probe that searches the disk for copies of the course stops itself at 5
# what each refused mechanism means, and what stood in for it
REFUSED = {
    "a private filesystem": (
        "it could read every world-readable file on this machine, any stray copy of the "
        "course included (the probe names those it found)"
    ),
    "a mount namespace": "it could read every world-readable file on this machine",
    "a PID namespace": (
        "the processes it started were killed by sweeping its uid (kill -1 until none was "
        "left) instead, and it could see the machine's other processes"
    ),
    "an IPC namespace": "its System V IPC objects were removed by uid when each exercise ended",
    "a network namespace": "it could reach the network",
    "a control group for the exercise": (
        "memory and processes were limited per process only, so code that forks could use more"
    ),
}


@dataclass
class Sandbox:
    limits: Limits = field(default_factory=Limits)
    # one zygote per runtime (grader.catalog.Runtime), each started when first needed
    _zygotes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _ready: set[str] = field(default_factory=set)
    _user: dict[str, int] | None = None
    notes: list[str] = field(default_factory=list)
    _slot: slots.Slot | None = None
    _refused: set[str] = field(default_factory=set)
    _private_root: bool = False
    _applied_noted: bool = False
    # stop() comes from two threads at once when a stop (Ctrl-C, SIGTERM) reaches the
    # grader while its waiter thread reads the zygote: the zygote is handed over once
    _handover: threading.Lock = field(default_factory=threading.Lock)
    _halted: bool = False
    # The thread that starts every zygote. A zygote dies with the thread that started it (its
    # PR_SET_PDEATHSIG is about that thread, not the process), and a runtime's zygote may be
    # started while grading, from grading's waiter thread, which ends with each grade(): so
    # zygotes are started from this one, which lives as long as the sandbox.
    _starter: ThreadPoolExecutor | None = None
    # the folders its children are given (a copy of the submission, scratch, drivers)
    _folders: Folders = field(init=False, repr=False)
    # what must be done before learner code runs, done meanwhile: `protect`'s probe
    _gate: Future[None] | None = None

    def __post_init__(self) -> None:
        if is_root() and self.limits.user == "auto":
            self._slot = slots.take()
            self._user = {"uid": self._slot.uid, "gid": self._slot.gid}
        elif is_root():
            self._user = unprivileged(self.limits.user)
            self.notes.append(
                f"Learner code ran as {self.limits.user!r}, a user other software may share: "
                "leave --user out to give each sandbox a uid of its own."
            )
        else:
            self.notes.append(
                "Learner code ran as the grader's own user (the grader is not root), so it "
                "could read what that user can read, the reference solutions included, write "
                "where that user can write, and signal the grader's processes. Run as root "
                f"to have it run as {self.limits.user!r}."
            )
        if sys.platform != "linux":
            self.notes.append(
                "Not on Linux: processes that learner code starts in a new session may outlive "
                "their exercise."
            )
        self._folders = Folders(self._user)
        self.start()

    # -- the zygote ---------------------------------------------------------------------

    @property
    def _zygote(self) -> subprocess.Popen[bytes] | None:
        """The NumPy runtime's zygote, the one every course has."""
        return self._zygotes.get(DEFAULT_RUNTIME)

    def start(self, runtime: str = DEFAULT_RUNTIME) -> None:
        """Start the runtime's zygote now, so it gets ready while the grader does its own
        set-up. Only the NumPy one starts with the sandbox; a torch one with its first
        exercise (importing torch takes seconds)."""
        if self._halted:
            raise EOFError("grading was stopped")
        zygote = self._zygotes.get(runtime)
        if zygote is not None and zygote.poll() is None:
            return
        env = launch.zygote_env(runtime, self.limits.without)
        early = launch.adopt(runtime, env)  # started first thing by `bpgrade check`
        if early is not None:
            self._zygotes[runtime] = early
        else:
            if self._starter is None:
                from concurrent.futures import ThreadPoolExecutor

                self._starter = ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix="bpgrade-zygote"
                )
            self._zygotes[runtime] = self._starter.submit(launch.spawn, env).result()
        self._ready.discard(runtime)

    def start_early(self, runtime: str) -> bool:
        """Start a runtime's zygote ahead of its first exercise, where this machine can run
        that runtime at all; whether it did."""
        if runtime == "torch" and not torch_available():
            return False
        self.start(runtime)
        return True

    def _read_frame(self, deadline: float, runtime: str = DEFAULT_RUNTIME) -> bytes:
        zygote = self._zygotes.get(runtime)
        if zygote is None or zygote.stdout is None:
            raise EOFError("the sandbox process was stopped")
        fd = zygote.stdout.fileno()
        buffer = bytearray()
        need = wire.HEADER.size
        size: int | None = None
        while True:
            while len(buffer) < need:
                if not select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
                    raise TimeoutError("the sandbox stopped answering")
                chunk = os.read(fd, need - len(buffer))
                if not chunk:
                    raise EOFError("the sandbox process ended")
                buffer += chunk
            if size is not None:
                return bytes(buffer[wire.HEADER.size :])
            (size,) = wire.HEADER.unpack(buffer)
            need = wire.HEADER.size + size
            if size == 0:
                return b""

    def _ensure_ready(self, deadline: float, runtime: str = DEFAULT_RUNTIME) -> None:
        """Wait for the zygote's first frame, which says what confinement it could set up."""
        self.start(runtime)
        if runtime in self._ready:
            return
        ready = json.loads(self._read_frame(deadline, runtime))
        self._ready.add(runtime)
        refused = set(ready.get("refused", [])) if isinstance(ready, dict) else set()
        self._private_root = self._user is not None and "a private filesystem" not in refused
        self._note_refused(refused)

    def _note_refused(self, refused: set[str]) -> None:
        """A note per mechanism the kernel refused (once), and once what was applied."""
        if self._user is None:
            return
        for name in sorted(refused - self._refused):
            self.notes.append(f"Learner code ran without {name}: {REFUSED.get(name, '')}".strip())
        if not self._applied_noted and not refused:
            self._applied_noted = True
            self.notes.append(
                f"Learner code ran as uid {self._user['uid']}, its own, in PID, mount, IPC and "
                "network namespaces of its own per exercise, in a control group of "
                f"{size_text(self.limits.memory)} and {self.limits.processes} processes, on a "
                "minimal read-only filesystem with a private scratch space of "
                f"{size_text(self.limits.scratch)}."
            )
        self._refused |= refused

    def _ask(
        self, request: dict[str, Any], hidden: bytes = b"", runtime: str = DEFAULT_RUNTIME
    ) -> tuple[dict[str, Any], bytes, bytes, bytes]:
        # the zygote enforces the real limit
        deadline = time.monotonic() + float(request["limits"]["timeout"]) + 30.0
        try:
            # a torch zygote's first start imports torch, which takes seconds more
            self._ensure_ready(deadline + (60.0 if runtime != DEFAULT_RUNTIME else 0.0), runtime)
            zygote = self._zygotes.get(runtime)
            if zygote is None or zygote.stdin is None:
                raise EOFError("the sandbox process was stopped")
            zygote.stdin.write(wire.frame(wire.dumps(request)) + hidden)
            zygote.stdin.flush()
            header = json.loads(self._read_frame(deadline, runtime))
            output, results, stack = (self._read_frame(deadline, runtime) for _ in range(3))
            return header, output, results, stack
        except (OSError, EOFError, TimeoutError, ValueError):
            self.stop(runtime)  # a fresh one starts with the next exercise
            raise

    def stop(self, runtime: str | None = None) -> None:
        """Kill the zygotes (or the runtime's one) and whatever they run; the next exercise
        starts a fresh one."""
        for name in [runtime] if runtime is not None else list(self._zygotes):
            self._stop_zygote(name)

    def _stop_zygote(self, runtime: str) -> None:
        with self._handover:
            zygote = self._zygotes.pop(runtime, None)
        if zygote is None:
            return
        with contextlib.suppress(OSError):
            os.killpg(zygote.pid, signal.SIGKILL)
        zygote.kill()
        zygote.wait()
        if self._user is not None:  # its control groups, empty now that it is gone
            from grader.sandbox.cgroups import remove_left_by

            remove_left_by(zygote.pid)
        for stream in (zygote.stdin, zygote.stdout):
            if stream is not None:
                stream.close()

    def halt(self) -> None:
        """Stop for good: grading was stopped (Ctrl-C, SIGTERM), and no learner code may start
        after that, not even the exercise the waiter thread was about to begin."""
        self._halted = True
        self.stop()

    def close(self) -> None:
        self.stop()
        if self._starter is not None:  # its zygotes are gone: the thread may go too
            self._starter.shutdown(wait=False)
            self._starter = None
        self._folders.close()
        if self._slot is not None:
            self._slot.release()
            self._slot = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the folders ---------------------------------------------------------------------

    @property
    def uid(self) -> int | None:
        """The uid learner code runs as, when it runs as another user (the grader is root)."""
        return None if self._user is None else self._user["uid"]

    @property
    def unprivileged(self) -> bool:
        """Learner code runs as another, unprivileged user (the grader is root)."""
        return self._user is not None

    def workspace(self, folder: Path) -> Path:
        """A fresh copy of the submission's regular files, which learner code may read only."""
        return self._folders.workspace(folder)

    def discard(self, inner: Path) -> None:
        """Remove a folder made for this sandbox's children, once what ran in it has ended."""
        self._folders.discard(inner)

    def limits_for(self, exercise: ExerciseEntry | None) -> Limits:
        """The limits an exercise runs under: the catalog's own timeout and memory for it where
        it gives them, else the sandbox's; a torch exercise gets TORCH_ADDRESS_SPACE more
        memory than the sandbox's limit, for what the warm torch maps before its code runs."""
        if exercise is None:
            return self.limits
        memory = exercise.memory
        if memory is None:
            extra = TORCH_ADDRESS_SPACE if exercise.runtime == "torch" else 0
            memory = self.limits.memory + extra
        timeout = exercise.timeout if exercise.timeout is not None else self.limits.timeout
        return replace(self.limits, memory=memory, timeout=timeout)

    def _request(
        self, cwd: Path, scratch: Path | None, limits: Limits | None = None
    ) -> dict[str, Any]:
        scratch = scratch if scratch is not None else cwd  # (the zygote places it in its root)
        limits = self.limits if limits is None else limits
        return {
            "limits": {
                "timeout": limits.timeout,
                "cpu": limits.cpu,
                "memory": limits.memory,
                "output": limits.output,
                "processes": limits.processes,
                "file_size": limits.file_size,
                "scratch": limits.scratch,
                "open_files": limits.open_files,
            },
            "user": self._user,
            "workspace": str(cwd),
            "file": "",
            "calls": [],
            "cwd": str(cwd),
            "env": {
                "PATH": "/usr/local/bin:/usr/bin:/bin",
                "HOME": str(scratch),
                "TMPDIR": str(scratch),
                "LANG": "C.UTF-8",
                "PYTHONIOENCODING": "utf-8",
                **THREADS,
            },
        }

    # -- running ------------------------------------------------------------------------

    def run(
        self,
        path: Path,
        calls: list[Call],
        hidden: int = 0,
        exercise: ExerciseEntry | None = None,
        course: Path | None = None,
    ) -> Outcome:
        """Run `calls` on the learner's file at `path`. The last `hidden` of them are the
        student's hidden cases: the child receives them only once it has answered the others,
        and what it printed from then on is told apart (`Outcome.hidden_output`).

        `exercise`, the catalog's entry, chooses the runtime (its zygote) and the limits, and
        names the drivers module of `course` (by default the course of grader.course) that
        calls with a driver need."""
        if self._gate is not None:
            self._gate.result()  # its error (learner code could read the course) is ours
        runtime = DEFAULT_RUNTIME if exercise is None else exercise.runtime
        if runtime == "torch" and not torch_available():
            return Outcome(NoResults(torch_missing(path.name)))
        limits = self.limits_for(exercise)
        try:
            self._ensure_ready(
                time.monotonic() + 60.0 * (2 if runtime != DEFAULT_RUNTIME else 1), runtime
            )
        except (OSError, EOFError, TimeoutError, ValueError) as error:
            self.stop(runtime)
            return Outcome(NoResults(f"the sandbox failed while grading it ({error})"))
        drivers: Path | None = None
        if any(call.driver is not None for call in calls):
            found = self._folders.drivers(exercise, course)
            if isinstance(found, NoResults):
                return Outcome(found)
            drivers = found
        scratch = None if self._private_root else self._folders.scratch()
        public = calls[: len(calls) - hidden]
        request = {
            **self._request(path.parent, scratch, limits),
            "path": str(path),
            "file": path.name,
            "calls": public,
            "hidden": hidden,
        }
        if drivers is not None:
            request["drivers"] = str(drivers)
        sealed = wire.frame(wire.dumps(calls[len(public) :])) if hidden else b""
        request["hidden_size"] = len(sealed)
        try:
            header, output, results, stack = self._ask(request, sealed, runtime)
        except (OSError, EOFError, TimeoutError, ValueError) as error:
            return Outcome(NoResults(f"the sandbox failed while grading it ({error})"))
        finally:
            if scratch is not None:
                self.discard(scratch)
            if drivers is not None:
                self.discard(drivers.parent)
        self._note_refused(set(header.get("refused") or []))
        if header.get("supervisor_failed") and hidden:
            self.stop()  # the hidden calls may be left unread in its input: start afresh
        return read_outcome(path, calls, header, output, results, stack, hidden, limits)

    def hold_until(self, gate: Future[None] | None) -> None:
        """Run no learner code until `gate` is done (`protect`'s probe, run in another thread
        while the grader plans and copies); a gate that failed fails every run with its
        error. None lifts it."""
        self._gate = gate

    def probe(
        self, read: list[Path], write: list[Path], copies_of: list[Path] | None = None
    ) -> dict[str, list[str]]:
        """Which paths a child, locked down like learner code, can read or write; and, where
        it sees the machine's own filesystem, which readable files anywhere on it are copies
        of the files `copies_of` (a stray checkout of the course, say)."""
        self._ensure_ready(time.monotonic() + 60.0)
        scratch = self._folders.scratch()
        checks: dict[str, Any] = {"read": [str(p) for p in read], "write": [str(p) for p in write]}
        if copies_of and not self._private_root:
            checks["copies"] = _fingerprints(copies_of)
        request = {**self._request(scratch, scratch), "probe": checks}
        if "copies" in checks:  # the search has its own bound (child.SEARCH_SECONDS)
            bound = {"timeout": PROBE_SECONDS, "cpu": PROBE_SECONDS}
            request["limits"] = {**request["limits"], **bound}
        try:
            header, _, data, _ = self._ask(request)
        finally:
            self.discard(scratch)
        for payload in wire.split_frames(data)[0]:
            kind, body = wire.loads(payload)
            if kind == "probe" and isinstance(body, dict):
                return body
        raise RuntimeError(f"the sandbox probe failed: {header}")


def _fingerprints(paths: list[Path]) -> dict[str, list[str]]:
    """{file name: [sha256 of its content]}, to recognise copies by name and content."""
    import hashlib

    found: dict[str, list[str]] = {}
    for path in paths:
        with contextlib.suppress(OSError):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            found.setdefault(path.name, []).append(digest)
    return found
