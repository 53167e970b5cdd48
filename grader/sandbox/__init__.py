"""Learner code runs here, never in the grader: a locked-down child process per exercise.

    with Sandbox(Limits()) as sandbox:
        workspace = sandbox.workspace(folder)          # a fresh copy of the submission
        outcome = sandbox.run(workspace / "exercise03_linear.py", calls)

The grader keeps the inputs, the reference and every comparison; a child gets the planned calls
and answers with plain data (`wire.py`). Children are forked by a zygote (`zygote.py`) that has
NumPy imported already, so isolation costs a fork, not an interpreter. Each child has a wall
clock, a CPU-time and a memory limit, a capped output, a closed stdin; it is killed with all it
started when its exercise ends. As root it also runs as an unprivileged user in a scrubbed
environment, and the reference solutions are locked away from that user.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.calls import Call, CallResult, Frame, LearnerError, LoadFailure
from grader.sandbox import slots, wire
from grader.sandbox.stack import Spot, last_spot

if TYPE_CHECKING:  # not imported at run time: the zygote imports this package, and what it
    # imports a learner's file of the same name cannot shadow (concurrent.futures imports
    # logging; grader.catalog, pydantic)
    from concurrent.futures import ThreadPoolExecutor

    from grader.catalog import ExerciseEntry

GIB = 1 << 30
MAX_FRAME = 4 << 20  # one call's answer; the largest real one (exercise05) is under 1 MiB
SKIPPED_DIRS = {
    ".git",
    ".venv",
    "venv",
    "__pycache__",
    ".bpgrade",
    "node_modules",
    ".ipynb_checkpoints",
}
MAX_FILE = 16 << 20  # a submission file larger than this is not code; it is not copied
MAX_COPY = 128 << 20
MAX_FILES = 2000  # a submission is a handful of files; more are not copied
MAX_DEPTH = 8  # folders deeper than this are not copied
PROBE_SECONDS = 20  # a probe that searches the disk for copies of the course stops itself at 5
# for the zygote and every child: what Python and NumPy need, nothing of the grader's own
THREADS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
DEFAULT_RUNTIME = "numpy"
# A torch exercise's child is forked from a zygote that has imported and warmed torch: it
# starts with about 640 MiB of address space already mapped (torch's libraries, its
# allocator's reservations), all of it counted by the address-space limit though little of it
# is memory in use. So a torch exercise without a memory limit of its own in the catalog gets
# this much more than the global limit, and the learner's code the same room as in a NumPy
# exercise.
TORCH_ADDRESS_SPACE = GIB


class SubmissionError(ValueError):
    """The submission itself cannot be graded (not the grader's fault): a link, say."""


@dataclass(frozen=True)
class Limits:
    timeout: float = 10.0  # wall clock per exercise, seconds
    memory: int = GIB  # address space per exercise, bytes
    output: int = 64 << 10  # captured output kept per exercise, bytes
    # whom learner code runs as when the grader is root: "auto" is a uid of this sandbox's
    # own (`slots.py`), shared with no other sandbox and no other software
    user: str = "auto"
    processes: int = 64  # how many processes an exercise may have at once
    file_size: int = 64 << 20  # the largest file learner code may write
    scratch: int = 64 << 20  # its private scratch space (HOME and TMPDIR), memory included
    open_files: int = 256
    # mechanisms to do without, as a kernel that refuses them would (for tests of the
    # fallbacks): any of "filesystem", "pid", "ipc", "net", "cgroup"
    without: frozenset[str] = frozenset()

    @property
    def cpu(self) -> int:
        """A backstop a second behind the wall clock, which names the slow call first."""
        return math.ceil(self.timeout) + 1


@dataclass
class Outcome:
    """What one exercise's child did: results for every call, or why there are none.

    When the child was stopped part way (a time or memory limit, a crash, an exit), the calls
    that had answered keep their results; each call that never answered has an "aborted"
    error, and `stopped` says in a sentence what stopped it, in which call, on which line."""

    results: list[CallResult] | LoadFailure
    output: str = ""
    stopped: str | None = None
    hidden_output: str = ""  # the end of `output`: what it printed once it had hidden calls


HIDDEN_STOP = "it stopped while running your hidden cases (what stopped it is shown with them)"
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


def size_text(size: int) -> str:
    for unit, scale in (("GiB", GIB), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:g} {unit}"
    return f"{size} bytes"


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _unprivileged(name: str) -> dict[str, int]:
    import pwd

    if name == "auto":
        raise ValueError("a slot, not a user")
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise LookupError(f"there is no user {name!r} to run learner code as") from None
    if entry.pw_uid == 0:
        raise LookupError(f"user {name!r} is root; learner code must run unprivileged")
    return {"uid": entry.pw_uid, "gid": entry.pw_gid}


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@dataclass
class Sandbox:
    limits: Limits = field(default_factory=Limits)
    # one zygote per runtime (grader.catalog.Runtime), each started when first needed
    _zygotes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _ready: set[str] = field(default_factory=set)
    _user: dict[str, int] | None = None
    _temporary: list[Path] = field(default_factory=list)
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

    def __post_init__(self) -> None:
        if is_root() and self.limits.user == "auto":
            self._slot = slots.take()
            self._user = {"uid": self._slot.uid, "gid": self._slot.gid}
        elif is_root():
            self._user = _unprivileged(self.limits.user)
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
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT")}
        env.update(THREADS)
        env["BPGRADE_RUNTIME"] = runtime
        if self.limits.without:
            env["BPGRADE_SANDBOX_WITHOUT"] = ",".join(sorted(self.limits.without))
        if self._starter is None:
            from concurrent.futures import ThreadPoolExecutor

            self._starter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bpgrade-zygote")
        started = self._starter.submit(
            subprocess.Popen,
            [sys.executable, "-I", "-m", "grader.sandbox.zygote"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=tempfile.gettempdir(),
            start_new_session=True,  # Ctrl-C in the terminal reaches the grader, which stops it
        )
        self._zygotes[runtime] = started.result()
        self._ready.discard(runtime)

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
        for path in self._temporary:
            shutil.rmtree(path, ignore_errors=True)
        self._temporary.clear()
        if self._slot is not None:
            self._slot.release()
            self._slot = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the submission -----------------------------------------------------------------

    def _private_dir(self, prefix: str) -> Path:
        """A fresh folder whose path cannot be found by listing: learner code running as the
        same user for another submission (batch grading) cannot discover it."""
        outer = Path(tempfile.mkdtemp(prefix=prefix, dir=self._base()))
        self._temporary.append(outer)
        os.chmod(outer, 0o711)  # others may pass through, never list
        inner = outer / secrets.token_hex(16)
        inner.mkdir()
        return inner

    @property
    def uid(self) -> int | None:
        """The uid learner code runs as, when it runs as another user (the grader is root)."""
        return None if self._user is None else self._user["uid"]

    @property
    def unprivileged(self) -> bool:
        """Learner code runs as another, unprivileged user (the grader is root)."""
        return self._user is not None

    def _base(self) -> str:
        """Where the sandbox's folders go: the usual temporary folder, unless the learner's
        user could not even pass through it (TMPDIR inside root's home, say)."""
        usual = tempfile.gettempdir()
        if self._user is None:
            return usual
        for candidate in (usual, "/tmp", "/var/tmp", "/dev/shm"):
            if _passable(Path(candidate)):
                return candidate
        raise RuntimeError("no temporary folder that the learner's user can pass through")

    def discard(self, inner: Path) -> None:
        """Remove a folder made by `_private_dir`, once what ran in it has ended."""
        outer = inner.parent
        if outer in self._temporary:
            self._temporary.remove(outer)
            shutil.rmtree(outer, ignore_errors=True)

    def workspace(self, folder: Path) -> Path:
        """A fresh copy of the submission's regular files, which learner code may read only."""
        copy = self._private_dir("bpgrade-submission-")
        copy_submission(folder, copy)
        if self._user is not None:
            _readable_by_all(copy)
        return copy

    def _scratch(self) -> Path:
        scratch = self._private_dir("bpgrade-scratch-")
        if self._user is not None:
            os.chown(scratch, self._user["uid"], self._user["gid"])
        os.chmod(scratch, 0o700)
        return scratch

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
        runtime = DEFAULT_RUNTIME if exercise is None else exercise.runtime
        if runtime == "torch" and not torch_available():
            return Outcome(LoadFailure(torch_missing(path.name)))
        limits = self.limits_for(exercise)
        try:
            self._ensure_ready(
                time.monotonic() + 60.0 * (2 if runtime != DEFAULT_RUNTIME else 1), runtime
            )
        except (OSError, EOFError, TimeoutError, ValueError) as error:
            self.stop(runtime)
            return Outcome(LoadFailure(f"the sandbox failed while grading it ({error})"))
        drivers: Path | None = None
        if any(call.driver is not None for call in calls):
            found = self._drivers(exercise, course)
            if isinstance(found, LoadFailure):
                return Outcome(found)
            drivers = found
        scratch = None if self._private_root else self._scratch()
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
            return Outcome(LoadFailure(f"the sandbox failed while grading it ({error})"))
        finally:
            if scratch is not None:
                self.discard(scratch)
            if drivers is not None:
                self.discard(drivers.parent)
        self._note_refused(set(header.get("refused") or []))
        if header.get("supervisor_failed") and hidden:
            self.stop()  # the hidden calls may be left unread in its input: start afresh
        text = output.decode("utf-8", errors="replace")
        if header["output_dropped"]:
            text += f"\n[... {size_text(header['output_dropped'])} more output dropped]\n"
        outcome = self._interpret(path, calls, header, results, stack, hidden, limits)
        outcome.output = text
        sent_at = header.get("hidden_sent_at")
        if hidden and isinstance(sent_at, list) and len(output) >= int(sent_at[0]):
            printed = output[: int(sent_at[0])].decode("utf-8", errors="replace")
            outcome.hidden_output = text[len(printed) :]
        return outcome

    def _interpret(
        self,
        path: Path,
        calls: list[Call],
        header: dict[str, Any],
        data: bytes,
        stack: bytes,
        hidden: int = 0,
        limits: Limits | None = None,
    ) -> Outcome:
        sent_at = header.get("hidden_sent_at")
        public_bytes = int(sent_at[1]) if isinstance(sent_at, list) else None
        told = _Told.read(data, len(calls), public_bytes)
        if told.failure is not None:
            return Outcome(told.failure)
        where = (
            f"in {calls[told.calling - 1].function}"
            if told.calling
            else f"while {path.name} was being imported"
        )
        if told.garbled:
            return Outcome(
                LoadFailure(f"the submission sent back something that is not plain data {where}")
            )
        if told.ended or len(told.results) == len(calls):  # all answered: nothing was lost
            return Outcome(told.results)
        if header.get("supervisor_failed"):
            return Outcome(LoadFailure(f"the sandbox failed while grading it {where}"))
        memory = told.memory is not None or header.get("memory_exceeded")
        kind, cause = self._cause(header, memory, limits)
        inside = Path(header["folder"]) if header.get("folder") else path.parent.resolve()
        spot = self._spot(kind, told, path.parent.resolve(), inside, stack)
        ending = ", before returning" if kind == "exit" else ""
        if told.calling == 0:  # it was still importing the file: nothing of it can be graded
            return Outcome(LoadFailure(f"{cause} {where}{spot}{ending}"))
        if told.running is None:  # stopped between two calls, in none of the learner's code
            sentence = f"{cause} before {calls[len(told.results)].function} was called"
        else:
            sentence = f"{cause} {where}{spot}{ending}"
        error = LearnerError("aborted", kind, sentence)
        unanswered = [CallResult(error=error) for _ in calls[len(told.results) :]]
        if hidden and len(told.results) >= len(calls) - hidden:
            # its hidden cases were in its hands: how it stopped (an exit status, a signal, a
            # line) could be chosen to tell of them, so that is told only with them
            sentence = HIDDEN_STOP
        return Outcome([*told.results, *unanswered], stopped=sentence)

    def _spot(self, kind: str, told: _Told, folder: Path, inside: Path, stack: bytes) -> str:
        """Where the learner's code was when it was stopped, as ` (file, line N: `code`)`, the
        code read from the grader's copy in `folder` (which the child saw as `inside`); ""
        when that cannot be told."""
        if kind == "memory":  # from the child's own traceback of the MemoryError
            frames = told.memory or ()
            if not frames or not frames[-1].line:
                return ""
            deepest = frames[-1]
            spot: Spot | None = Spot(told.running, deepest.file, deepest.line, deepest.function)
        elif kind in ("timeout", "cpu", "crash"):  # faulthandler wrote the stack as it stopped
            spot = last_spot(stack, inside)
        else:  # an exit or a flood writes no stack; one written earlier would point elsewhere
            spot = None
        if spot is None or spot.call != told.running:
            return ""  # written while another call ran: it would point at the wrong code
        if os.sep in spot.file or not (folder / spot.file).is_file():
            return ""  # not one of the submission's files: nothing to show
        return " " + spot.describe(folder)

    def _cause(
        self, header: dict[str, Any], memory: Any, limits: Limits | None = None
    ) -> tuple[str, str]:
        """What stopped the child: a kind (the type of an aborted call's error) and words."""
        limits = self.limits if limits is None else limits
        if memory:
            return "memory", f"exceeded the {size_text(limits.memory)} memory limit"
        if header["timed_out"]:
            return "timeout", f"timed out after {_seconds(limits.timeout)}"
        if header["results_overflow"]:
            return "overflow", "returned more data than any answer needs"
        number = header["signal"]
        if number == signal.SIGXCPU or (
            number == signal.SIGKILL and header["seconds"] >= limits.cpu
        ):
            return "cpu", f"used more than {_seconds(limits.cpu)} of CPU time"
        if number is not None:
            return "crash", f"crashed ({_signal_name(number)})"
        return "exit", f"the submission exited (status {header['exit']})"

    def _drivers(self, exercise: ExerciseEntry | None, course: Path | None) -> Path | LoadFailure:
        """A copy of the exercise's drivers module, alone in a private folder the learner's user
        may read (and, in the minimal root, the only thing of the course it sees, at
        namespaces.DRIVERS): the course's folders, its specs and solutions among them, stay
        out of its reach."""
        from grader.drivers import driver_path

        if exercise is None:
            return LoadFailure("the grader planned a call with a driver for no exercise")
        source = driver_path(exercise.name, course)
        if not source.is_file():
            return LoadFailure(f"the grader has no drivers for {exercise.name} ({source})")
        folder = self._private_dir("bpgrade-drivers-")
        shutil.copyfile(source, folder / source.name)
        if self._user is not None:
            _readable_by_all(folder)
        return folder / source.name

    def probe(
        self, read: list[Path], write: list[Path], copies_of: list[Path] | None = None
    ) -> dict[str, list[str]]:
        """Which paths a child, locked down like learner code, can read or write; and, where
        it sees the machine's own filesystem, which readable files anywhere on it are copies
        of the files `copies_of` (a stray checkout of the course, say)."""
        self._ensure_ready(time.monotonic() + 60.0)
        scratch = self._scratch()
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


@dataclass
class _Told:
    """What a child's result frames said, as plain data: the results of the calls that
    answered, how many calls it began, where it ran out of memory, whether it reached the end;
    or that it could not be read."""

    results: list[CallResult] = field(default_factory=list)
    calling: int = 0  # calls begun
    memory: tuple[Frame, ...] | None = None  # the learner's frames where memory ran out
    ended: bool = False
    garbled: bool = False  # something that is not plain data as the child writes it
    failure: LoadFailure | None = None  # the file could not be loaded, or no sandbox set up

    @property
    def running(self) -> int | None:
        """The call that was running when the child stopped, if one was."""
        return len(self.results) if self.calling > len(self.results) else None

    @classmethod
    def read(cls, data: bytes, expected: int, public_bytes: int | None = None) -> _Told:
        """`public_bytes`: how much had been sent when the hidden calls were handed over; a
        failure to load told after that was staged to carry them into view."""
        # loading, then calling and a result per call, then the end: nothing more is read
        frames, _ = wire.split_frames(data, limit=2 * expected + 3)
        told = cls()
        offset = 0
        try:
            for payload in frames:
                offset += wire.HEADER.size + len(payload)
                if len(payload) > MAX_FRAME:
                    raise wire.WireError("a message larger than any answer")
                kind, body = wire.loads(payload)
                hidden_phase = public_bytes is not None and offset > public_bytes
                if kind == "load_failure" and hidden_phase:
                    raise wire.WireError("a failure to load after the calls had begun")
                if kind == "load_failure" and isinstance(body, LoadFailure):
                    told.failure = body
                elif kind == "calling" and isinstance(body, str):
                    if told.calling > len(told.results) or told.calling >= expected:
                        raise wire.WireError("a call begun out of turn")
                    told.calling += 1
                elif kind == "result" and isinstance(body, CallResult):
                    if told.calling != len(told.results) + 1:
                        raise wire.WireError("a result for no call")
                    told.results.append(body)
                elif kind == "memory":
                    found = body if isinstance(body, tuple) else ()
                    told.memory = tuple(f for f in found if isinstance(f, Frame))
                elif kind == "sandbox_error":
                    told.failure = LoadFailure(f"the sandbox could not be set up: {body}")
                elif kind == "end" and len(told.results) == expected:
                    told.ended = True
                else:
                    continue
                if told.failure is not None or told.memory is not None or told.ended:
                    break
        except (wire.WireError, TypeError, ValueError):
            told.garbled = True
        return told


def torch_available() -> bool:
    """Whether torch can be imported here, found without importing it."""
    import importlib.util

    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


def torch_missing(file: str) -> str:
    """The one sentence a torch exercise gets where torch is not installed."""
    from grader.bundles.source import TORCH_INDEX, TORCH_VERSION

    return (
        f"{file} runs with PyTorch, which is not installed here: install it with "
        f"`pip install torch=={TORCH_VERSION} --index-url {TORCH_INDEX}` and check again"
    )


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


class Exposed(RuntimeError):
    """As root, learner code could read what it must never see (a checkout of the course, the
    files of a batch), and no private filesystem hides it: grading is refused."""


def _within(path: str, folder: Path) -> bool:
    return path == str(folder) or path.startswith(f"{folder}/")


def _fingerprints(paths: list[Path]) -> dict[str, list[str]]:
    """{file name: [sha256 of its content]}, to recognise copies by name and content."""
    import hashlib

    found: dict[str, list[str]] = {}
    for path in paths:
        with contextlib.suppress(OSError):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            found.setdefault(path.name, []).append(digest)
    return found


# what of a checkout of the course learner code must not read, beside the answers
COURSE_PRIVATE = (".git", "tests", "grader", "hatch_build.py")


def protect(
    sandbox: Sandbox, course: Path, keep_out: list[Path], private: list[Path] | None = None
) -> None:
    """As root: prove with a probe what of the course learner code can reach, and refuse to
    grade where it could read the answers. Only bpgrade's own installed copy of the course
    is locked (chmod) first: an instructor's checkout is never changed.

    `keep_out`: folders it must not write into. `private`: more that it must not read (in a
    batch, the submissions, the gradebook and the reports)."""
    if not sandbox.unprivileged:
        return
    from grader.course import is_installed_copy
    from grader.platforms import SECRET_FOLDERS, lock_course

    if is_installed_copy(course):
        lock_course(course)
    secrets = [course / name for name in SECRET_FOLDERS if (course / name).is_dir()]
    secret_files = [path for folder in secrets for path in sorted(folder.glob("*"))[:50]]
    checkout = [course / name for name in COURSE_PRIVATE if (course / name).exists()]
    solutions = [p for p in secret_files if p.suffix == ".py" and p.parent.name == "solutions"]
    reached = sandbox.probe(
        [*secrets, *secret_files, *checkout, *(private or [])], keep_out, copies_of=solutions
    )
    seen = [p for p in reached["read"] if any(_within(p, f) for f in private or [])]
    if seen:
        raise Exposed(
            f"bpgrade will not grade this batch as root: learner code could read "
            f"{', '.join(seen[:2])} (other students' files or grades), and this machine gives "
            "it no private filesystem. Make the submissions folder and the gradebook's folder "
            "readable by root only (chmod 700), then run again."
        )
    exposed = [p for p in reached["read"] if any(_within(p, c) for c in [*checkout, *secrets])]
    if exposed:
        raise Exposed(
            f"bpgrade will not run learner code as root where it could read the course "
            f"({', '.join(exposed[:2])}): this machine gives it no private filesystem. "
            f"Install the course as a package (pip install {course}, without -e), whose copy "
            f"bpgrade locks itself, or make the course readable by its owner only "
            f"(chmod -R go-rwx {course})."
        )
    if reached.get("copies"):
        sandbox.notes.append(
            "Learner code could read copies of the reference solutions elsewhere on this "
            f"machine: {', '.join(reached['copies'][:5])}. Remove them, or make them "
            "readable by their owner only."
        )
    if reached["write"]:
        sandbox.notes.append(f"Learner code could write into {', '.join(reached['write'])}.")
    if reached.get("unimportable"):
        sandbox.notes.append(
            f"Learner code could not import {', '.join(reached['unimportable'])} from Python's "
            "standard library: the interpreter's folders are out of its user's reach and could "
            "not be opened for it (no /proc?), so only modules loaded in advance import."
        )


def _passable(folder: Path) -> bool:
    """Every folder on the way, this one included, lets other users through (o+x)."""
    folder = folder.resolve()
    try:
        return folder.is_dir() and all(p.stat().st_mode & 0o001 for p in (folder, *folder.parents))
    except OSError:
        return False


def submission_files(source: Path) -> Iterator[tuple[Path, Path]]:
    """(path, path relative to `source`) of each file a sandbox copies from a submission.

    Regular files only, never through a symlink: a link could point a root grader at anything
    on the machine, the reference solutions included. Deep or huge trees are cut."""
    if source.is_symlink():
        raise SubmissionError(f"{source.name} is a symbolic link; submit the folder itself")
    total = files = 0
    for root, dirs, names in os.walk(source, followlinks=False):
        here = Path(root).relative_to(source)
        dirs[:] = (
            []
            if len(here.parts) >= MAX_DEPTH
            else sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        )
        for name in sorted(names):
            path = Path(root) / name
            if path.is_symlink() or not path.is_file():
                continue
            size = path.stat().st_size
            if size > MAX_FILE or total + size > MAX_COPY or files >= MAX_FILES:
                continue
            total, files = total + size, files + 1
            yield path, here / name


def copy_submission(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for path, relative in submission_files(source):
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / relative)


def _readable_by_all(root: Path) -> None:
    """Root owns the copy; the learner's user may read it but change nothing in it."""
    os.chmod(root, 0o755)
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            os.chmod(Path(folder) / name, 0o755)
        for name in files:
            os.chmod(Path(folder) / name, 0o644)
