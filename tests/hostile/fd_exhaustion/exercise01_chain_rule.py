"""BPGRADE-HOSTILE submission for exercise01 (attack: fd_exhaustion).

Every function is CORRECT (the reference solution), but while it is imported the file takes
every file descriptor it can: it opens /dev/null until EMFILE (and prints how many it got,
"fd_exhaustion: opened N"), closes them, then makes pipes until EMFILE, each filled with up to
64 KiB of kernel memory that no address-space limit counts, and keeps them all open. It then
forks a process in a new session that holds the same descriptors (and so the pipes' memory)
for 15 s after the learner's process has gone. Every call then runs with a full descriptor
table.

A grader with no limit on open files lets one exercise take a million descriptors and a
gigabyte of pipe buffers; a runner that needs a new descriptor to answer fails the calls. The
grader must cap open files per exercise (the test reads N and holds it to a few thousand), answer
every call with the table full, end the holder with the exercise, and give full marks: 10 of
10.

Safe to run by mistake: at most 200000 files and 50000 pipes, pipe buffers filled only up to
1 GiB in all and while the machine's MemAvailable stays 2 GiB above that, the holder ends by
itself within 15 s; nothing is deleted; every attempt is wrapped, so the file always imports.
"""

import contextlib
import errno
import math
import os
import time

MAX_FILES = 200_000
MAX_PIPES = 50_000
PIPE_FILL = 64 << 10
FILL_IN_ALL = 1 << 30
SPARE = 2 << 30
LINGER_SECONDS = 15
_held: list[int] = []


def _available() -> int:
    try:
        with open("/proc/meminfo") as file:
            for line in file:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0  # no /proc: fill nothing


def _open_files() -> int:
    opened = []
    try:
        while len(opened) < MAX_FILES:
            opened.append(os.open(os.devnull, os.O_RDONLY))
    except OSError as error:
        if error.errno not in (errno.EMFILE, errno.ENFILE):
            raise
    finally:
        for fd in opened:
            os.close(fd)
    return len(opened)


def _pipes() -> tuple[int, int]:
    made = filled = 0
    room = FILL_IN_ALL if _available() > FILL_IN_ALL + SPARE else 0
    chunk = b"\x01" * PIPE_FILL
    try:
        while made < MAX_PIPES:
            read_end, write_end = os.pipe()
            _held.extend((read_end, write_end))
            made += 1
            if filled < room:
                os.set_blocking(write_end, False)
                with contextlib.suppress(BlockingIOError):
                    filled += os.write(write_end, chunk)
    except OSError as error:
        if error.errno not in (errno.EMFILE, errno.ENFILE):
            raise
    return made, filled


def _holder() -> None:
    pid = os.fork()
    if pid != 0:
        return
    try:  # the holder: never return into the grader's code
        os.setsid()
        time.sleep(LINGER_SECONDS)
    except BaseException:
        pass
    finally:
        os._exit(0)


def _exhaust() -> str:
    files = _open_files()
    pipes, filled = _pipes()
    with contextlib.suppress(OSError):
        _holder()
    return f"opened {files} files, then {pipes} pipes holding {filled >> 20} MiB"


with contextlib.suppress(Exception):
    print("fd_exhaustion:", _exhaust())


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def neuron_loss(w: float, b: float, x: float, y: float) -> float:
    a = sigmoid(w * x + b)
    return float((a - y) ** 2)


def local_derivatives(w: float, b: float, x: float, y: float) -> tuple[float, float, float]:
    a = sigmoid(w * x + b)
    return float(2.0 * (a - y)), float(a * (1.0 - a)), float(x)


def neuron_gradients(w: float, b: float, x: float, y: float) -> tuple[float, float]:
    dL_da, da_dz, dz_dw = local_derivatives(w, b, x, y)
    upstream = dL_da * da_dz
    return float(upstream * dz_dw), float(upstream)


def descent_step(w: float, b: float, x: float, y: float, lr: float) -> tuple[float, float]:
    dL_dw, dL_db = neuron_gradients(w, b, x, y)
    return float(w - lr * dL_dw), float(b - lr * dL_db)
