"""BPGRADE-HOSTILE submission for exercise02 (attack: disk_filler).

The reference solution, except tanh_backward, the last function called: it fills the disk as
fast as it can, 4 MiB at a time, round robin over every folder it might write: $TMPDIR, /tmp,
/var/tmp, /dev/shm, /run/lock and the current folder. A limit on the size of one file (EFBIG,
with SIGXFSZ ignored so that it does not end the process) only starts the next file. It stops
when the wall clock stops it (or, at the latest, after 30 s), then raises.

A grader with no bound on what an exercise writes, whose scratch folders are the machine's
shared ones, and that sweeps only some of them (not /run/lock) fills the disk at hundreds of
MiB a second and leaves files behind. The grader must bound what an exercise writes (a private
scratch space of a fixed size, the machine's shared folders out of reach or swept), leave
nothing behind, and keep the checks that answered: sigmoid, sigmoid.stable,
sigmoid_backward, relu, relu_backward and relu_backward.at_zero pass; tanh_backward never
returns.

Safe to run by mistake: it writes only while the folder's file system keeps 10 GiB free (a
small one, half its size) and the machine's MemAvailable stays 2 GiB above the next write (tmpfs
is memory), at most 2 GiB a folder and 6 GiB in all; nothing it did not make is removed; every
attempt is wrapped.
"""

import contextlib
import os
import signal
import tempfile
import time

import numpy as np

MIB = 1 << 20
GIB = 1 << 30
CHUNK = 4 * MIB
FREE_DISK = 10 * GIB
SPARE_MEMORY = 2 * GIB
PER_FOLDER = 2 * GIB
IN_ALL = 6 * GIB
SECONDS = 30.0
FOLDERS = ("TMPDIR", "/tmp", "/var/tmp", "/dev/shm", "/run/lock", ".")


def _available() -> int:
    try:
        with open("/proc/meminfo") as file:
            for line in file:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0  # no /proc: write nothing


def _room(folder: str) -> bool:
    """Room for one more chunk: a large file system keeps 10 GiB free, a small one (a private
    scratch space, a tmpfs) half of its size; the machine keeps 2 GiB of memory."""
    try:
        info = os.statvfs(folder)
    except OSError:
        return False
    free, size = info.f_bavail * info.f_frsize, info.f_blocks * info.f_frsize
    return free - CHUNK > min(FREE_DISK, size // 2) and _available() > SPARE_MEMORY


class _Target:
    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.written = 0
        self.files = 0
        self.fd: int | None = None
        self.open = True

    def _next_file(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
        name = f"bpgrade-hostile-fill-{os.getpid()}-{self.files}"
        self.fd = os.open(
            os.path.join(self.folder, name), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600
        )
        self.files += 1

    def write(self, chunk: bytes) -> None:
        if self.written >= PER_FOLDER or not _room(self.folder):
            self.open = False
            return
        try:
            if self.fd is None:
                self._next_file()
            assert self.fd is not None
            try:
                done = os.write(self.fd, chunk)
            except OSError:  # EFBIG: this file is as large as it may be
                self._next_file()
                done = os.write(self.fd, chunk)
            self.written += done
        except OSError:
            self.open = False  # not writable, or full


def _fill() -> list[str]:
    with contextlib.suppress(Exception):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    folders = [tempfile.gettempdir() if f == "TMPDIR" else os.path.abspath(f) for f in FOLDERS]
    targets = [_Target(f) for f in dict.fromkeys(folders)]
    chunk = b"\x01" * CHUNK
    deadline = time.monotonic() + SECONDS
    total = 0
    while total < IN_ALL and time.monotonic() < deadline:
        open_targets = [t for t in targets if t.open]
        if not open_targets:
            break
        for target in open_targets:
            before = target.written
            target.write(chunk)
            total += target.written - before
    return [f"{t.folder}: {t.written >> 20} MiB in {t.files} files" for t in targets]


def sigmoid(Z: np.ndarray) -> np.ndarray:
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    s = sigmoid(Z)
    return dA * (s * (1.0 - s))


def relu(Z: np.ndarray) -> np.ndarray:
    return np.maximum(Z, 0.0)


def relu_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    return np.where(Z > 0, dA, 0.0)


def tanh_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    report = ["nothing"]
    with contextlib.suppress(Exception):
        report = _fill()
    with contextlib.suppress(Exception):
        print("disk_filler:", "; ".join(report))
    raise RuntimeError("disk_filler: this function only fills the disk")
