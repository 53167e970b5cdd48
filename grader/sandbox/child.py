"""The sandboxed child: locks itself down, then imports the learner's file and makes the calls.

It runs in a process forked by the zygote for one exercise. Everything before `_run` is
trusted set-up; from `load_module` on, the learner's code may have changed anything in this
process, so the child only ever *reports*: each message goes out on the results pipe as plain
data (see `wire.py`), and the grader believes none of it beyond what plain data can say.

A second pipe, the stack pipe, says where the learner's code was when it was stopped: before
each call the child writes `call N`, and faulthandler writes the Python stack there just before
the wall clock runs out, when the CPU-time limit is reached and on a crash. The grader reads it
as text only (`stack.py`); learner code may silence it or write junk into it, which costs it
nothing but the line number in its own message.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import resource
import select
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

RESULTS_FD = 3
STACK_FD = 4
STACK_SIGNAL = signal.SIGUSR2  # the supervisor's "write your stack now", at the deadline
CALLS_FD = 5  # the hidden calls arrive here, once the public ones have answered
PROC_FD = "/proc/self/fd"
MOVED: dict[str, str] = {}  # interpreter folders the learner's user reaches through a descriptor


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


def _own_descriptors(results_w: int, output_w: int, stack_w: int, calls_r: int) -> None:
    """Standard input closed, output to the capture pipe, every other inherited fd gone."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    # moved out of the way first, so that no dup2 below lands on one not yet moved
    import fcntl

    pipes = (output_w, results_w, stack_w, calls_r)
    ends = [fcntl.fcntl(fd, fcntl.F_DUPFD, 16) if fd >= 0 else -1 for fd in pipes]
    output_w, results_w, stack_w, calls_r = ends
    os.dup2(devnull, 0)
    os.dup2(output_w, 1)
    os.dup2(output_w, 2)
    os.dup2(results_w, RESULTS_FD)
    os.dup2(stack_w, STACK_FD)
    if calls_r >= 0:
        os.dup2(calls_r, CALLS_FD)
    os.closerange(CALLS_FD + 1 if calls_r >= 0 else STACK_FD + 1, 1 << 16)
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115


@functools.cache
def interpreter_folders() -> list[str]:
    """The folders of sys.path that belong to the interpreter itself: its standard library, its
    extension modules, its site-packages. Never the grader's checkout (an editable install puts
    it on sys.path too), never a learner's folder. Found once, in the zygote (`prepare`)."""
    prefixes = {
        os.path.normpath(p)
        for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)
        for p in (prefix, os.path.realpath(prefix))
    }
    folders = []
    for entry in sys.path:
        if not entry or not os.path.isabs(entry):
            continue
        entry = os.path.normpath(entry)
        inside = any(entry == p or entry.startswith(p.rstrip(os.sep) + os.sep) for p in prefixes)
        if inside and os.path.isdir(entry) and entry not in folders:
            folders.append(entry)
    return folders


def _open_folders(folders: list[str]) -> dict[str, int]:
    """As root: a descriptor on each folder, to reach it later from a user that cannot."""
    opened = {}
    for folder in folders:
        with contextlib.suppress(OSError):
            opened[folder] = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    return opened


def _reach_interpreter(opened: dict[str, int]) -> dict[str, str]:
    """Let the unprivileged user import every module of the interpreter, wherever it lives.

    Python may live where that user cannot pass (pyenv under /root, which is 0700): then only
    what the zygote had imported would work, and `import logging` would fail. Each such folder
    is reached instead through the descriptor opened on it as root, as /proc/self/fd/N: a path
    that starts at the folder itself, so the user needs no right on the folders above it, and
    gets no more than the folder's own permissions give to anyone (what a Python installed in
    /usr/local gives). sys.path and the packages already imported (numpy, encodings...) then
    find their modules there. Returns the folders moved, and where to."""
    moved: dict[str, str] = {}
    for folder, fd in opened.items():
        route = f"{PROC_FD}/{fd}"
        if os.access(folder, os.R_OK | os.X_OK) or not os.access(route, os.R_OK | os.X_OK):
            os.close(fd)  # reachable as it is, or no /proc to reach it through
            continue
        moved[folder] = route
    if not moved:
        return moved
    sys.path[:] = [_moved(entry, moved) for entry in sys.path]
    for path in _package_paths():
        path[:] = [_moved(entry, moved) for entry in path]
    return moved


_PACKAGES: tuple[int, list[list[Any]]] = (-1, [])


def _package_paths() -> list[list[Any]]:
    """The __path__ lists of the packages imported so far. Walking every module costs a fork
    a millisecond (its pages are copied as it reads them), so the zygote walks them once and
    its children reuse the list, unless modules were imported since."""
    global _PACKAGES
    count, paths = _PACKAGES
    if count != len(sys.modules):
        paths = []
        for module in list(sys.modules.values()):
            path = vars(module).get("__path__") if hasattr(module, "__dict__") else None
            if type(path) is list:
                paths.append(path)
        _PACKAGES = (len(sys.modules), paths)
    return paths


def prepare() -> None:
    """In the zygote, once its modules are imported: what every child would otherwise find
    out again."""
    interpreter_folders()
    _package_paths()


def _moved(path: Any, moved: dict[str, str]) -> Any:
    if not isinstance(path, str):
        return path
    normal = os.path.normpath(path)
    best = max(
        (f for f in moved if normal == f or normal.startswith(f + os.sep)), key=len, default=None
    )
    return path if best is None else moved[best] + normal[len(best) :]


def lock_down(
    request: dict[str, Any],
    pipes: tuple[int, int, int, int],
    enter: Callable[[], None] | None = None,
) -> None:
    """Everything between the fork and the learner's code: descriptors, limits, the
    confinement `enter` sets up (as root: the exercise's control group and minimal root),
    then the switch to the learner's user."""
    os.setsid()  # its own process group, to be killed whole, and no terminal to read
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGCHLD):
        signal.signal(number, signal.SIG_DFL)
    results_w, output_w, stack_w, calls_r = pipes
    _own_descriptors(results_w, output_w, stack_w, calls_r)
    limits = request["limits"]
    cpu = int(limits["cpu"])
    _set_limit(resource.RLIMIT_CPU, cpu, cpu + 1)
    _set_limit(resource.RLIMIT_AS, int(limits["memory"]))
    _set_limit(resource.RLIMIT_CORE, 0)
    _set_limit(resource.RLIMIT_FSIZE, int(limits["file_size"]))
    _set_limit(resource.RLIMIT_NOFILE, int(limits.get("open_files", 256)))
    _set_limit(resource.RLIMIT_MSGQUEUE, 0)
    if enter is not None:
        enter()
    user = request.get("user")
    if user is not None:
        opened = _open_folders(interpreter_folders())
        _set_limit(resource.RLIMIT_NPROC, int(limits["processes"]))
        os.setgroups([])
        os.setgid(user["gid"])
        os.setuid(user["uid"])
        if os.getuid() == 0 or os.geteuid() == 0:
            raise PermissionError("could not leave root")
        MOVED.update(_reach_interpreter(opened))
    # after the user switch, which clears it: if the supervisor dies (the grader was
    # stopped), the child dies with it instead of running on alone. One that died before
    # this line sent no signal, so its absence is looked for once the signal is armed.
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if orphaned(RESULTS_FD):
        os._exit(72)
    prctl(PR_SET_NO_NEW_PRIVS, 1)  # setuid programs (sudo, su) cannot lift it back up
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])


def orphaned(results_w: int) -> bool:
    """Whether the supervisor, the only holder of the results pipe's read end, is gone: a
    pipe's write end polls as an error once no reader is left. (Not getppid(): in a PID
    namespace of its own the child's parent is 0 whoever it is.)"""
    poller = select.poll()
    poller.register(results_w, 0)  # POLLERR and POLLHUP are reported whatever is asked
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))


def stack_lead(timeout: float) -> float:
    """How long before the wall clock runs out the stack is written: late enough to show
    where the code is stuck, early enough to be read before the child is killed."""
    return min(0.25, timeout / 10)


def _watch_the_stack(deadline: float, timeout: float) -> None:
    """Have faulthandler write the Python stack to the stack pipe just before the deadline, on
    reaching the CPU-time limit, and on a crash. It writes from a C thread or a signal handler,
    so it works while learner code holds the interpreter in a C loop."""
    import faulthandler

    with contextlib.suppress(Exception):
        faulthandler.enable(file=STACK_FD)
        faulthandler.register(signal.SIGXCPU, file=STACK_FD, chain=True)  # then it still ends
        faulthandler.register(STACK_SIGNAL, file=STACK_FD)
        left = deadline - stack_lead(timeout) - time.monotonic()
        if left > 0:
            faulthandler.dump_traceback_later(left, file=STACK_FD)


def _mark(index: int) -> None:
    """On the stack pipe: what follows was written while call `index` ran."""
    with contextlib.suppress(OSError):
        os.write(STACK_FD, f"call {index}\n".encode())


def _hidden_calls(count: int) -> Iterator[Any]:
    """The hidden calls, read from their pipe once the supervisor sends them (after the public
    calls have answered); none if it never does."""
    if not count:
        return
    from grader.sandbox.wire import HEADER, loads

    def exactly(size: int) -> bytes:
        data = bytearray()
        while len(data) < size:
            chunk = os.read(CALLS_FD, size - len(data))
            if not chunk:
                raise EOFError("no hidden calls came")
            data += chunk
        return bytes(data)

    (size,) = HEADER.unpack(exactly(HEADER.size))
    calls = loads(exactly(size))
    os.close(CALLS_FD)
    yield from calls[:count]


def _run(request: dict[str, Any]) -> None:
    from grader.runner import exercise_events

    index = 0
    calls = itertools.chain(request["calls"], _hidden_calls(int(request.get("hidden", 0))))
    drivers = Path(request["drivers"]) if request.get("drivers") else None
    for event in exercise_events(Path(request["path"]), calls, drivers):
        send(event)
        if event[0] == "calling":
            _mark(index)
            index += 1


def _memory_frames(error: MemoryError, request: dict[str, Any]) -> Any:
    """Where in the learner's files memory ran out, if that can be told without memory."""
    try:
        from grader.runner import learner_frames

        return learner_frames(error.__traceback__, Path(request["path"]).resolve().parent)
    except BaseException:
        return None


def serve(
    request: dict[str, Any],
    results_w: int,
    output_w: int,
    stack_w: int,
    deadline: float,
    calls_r: int = -1,
    enter: Callable[[], None] | None = None,
) -> NoReturn:
    """The whole life of a sandboxed child; it never returns into the zygote's code."""
    status = 0
    try:
        try:
            lock_down(request, (results_w, output_w, stack_w, calls_r), enter)
        except BaseException as error:
            send(("sandbox_error", f"{type(error).__name__}: {error}"))
            os._exit(70)
        if request.get("probe"):
            send(("probe", probe(request["probe"])))
        else:
            _watch_the_stack(deadline, float(request["limits"]["timeout"]))
            _run(request)
    except MemoryError as error:
        send(("memory", _memory_frames(error, request)))
    except BaseException:
        status = 71
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(BaseException):
                stream.flush()
        os._exit(status)


# not loaded by the zygote: a learner's first import of each reads the interpreter's folders
PROBE_MODULES = ("colorsys", "cmath")


def probe(checks: dict[str, Any]) -> dict[str, list[str]]:
    """Which of these paths the locked-down child can read or write: what a learner could,
    also through the descriptors that reach the interpreter's folders; and which modules of
    the standard library it could not import."""
    reached: dict[str, list[str]] = {"read": [], "write": [], "unimportable": []}
    for path in checks.get("read", []):
        if any(_readable(route) for route in _routes(path)):
            reached["read"].append(path)
    for folder in checks.get("write", []):
        if any(_writable(route) for route in _routes(folder)):
            reached["write"].append(folder)
    if checks.get("copies"):
        reached["copies"] = _copies(checks["copies"])
    import importlib

    for name in PROBE_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            reached["unimportable"].append(name)
    return reached


SEARCH_SKIPPED = ("/proc", "/sys", "/dev")
# where copies of a course are likely (homes, checkouts, shared folders): searched first, so
# that the bound on the search is spent on the system's own folders last
SEARCH_FIRST = ("/home", "/root", "/srv", "/opt", "/work", "/mnt", "/media", "/tmp", "/var/tmp")
SEARCH_ENTRIES = 400_000  # a search of the whole disk, bounded: the probe must stay quick
SEARCH_SECONDS = 5.0


def _copies(fingerprints: dict[str, list[str]]) -> list[str]:
    """Readable files anywhere on the machine with the name and content of a given file, as
    learner code looking for the course would find them."""
    import hashlib
    from collections import deque

    found: list[str] = []
    stop = time.monotonic() + SEARCH_SECONDS
    skipped = {*SEARCH_SKIPPED, *SEARCH_FIRST}
    pending, seen = deque([*SEARCH_FIRST, "/"]), 0  # breadth first: shallow copies first
    while pending and seen < SEARCH_ENTRIES and time.monotonic() < stop:
        folder = pending.popleft()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            seen += 1
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.path not in skipped:
                        pending.append(entry.path)
                elif entry.name in fingerprints and entry.is_file(follow_symlinks=False):
                    with open(entry.path, "rb") as file:
                        digest = hashlib.sha256(file.read(1 << 22)).hexdigest()
                    if digest in fingerprints[entry.name]:
                        found.append(entry.path)
            except OSError:
                continue
    return found


def _routes(path: str) -> list[str]:
    moved = _moved(path, MOVED)
    return [path] if moved == path else [path, moved]


def _readable(path: str) -> bool:
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            with open(path, "rb") as file:
                file.read(1)
        return True
    except OSError:
        return False


def _writable(folder: str) -> bool:
    target = os.path.join(folder, f".bpgrade-probe-{os.getpid()}")
    try:
        with open(target, "x"):
            pass
        os.unlink(target)
        return True
    except OSError:
        return False
