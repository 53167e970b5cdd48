"""One uid per sandbox: a slot, held for as long as the sandbox lives.

A root grader runs each sandbox's learner code as a uid of its own, taken from a range that no
account, container range or running process uses, so that no two submissions graded at the
same time (the jobs of a batch, or two graders on one machine) share a uid: neither can signal,
trace or write into the other. A slot is held with an exclusive lock on a root-only file; the
kernel drops the lock when its holder dies, however it dies, so slots never leak.

When a slot is taken, any process an earlier holder left running as its uid is killed, and a
slot with nothing at all left (not even a zombie awaiting its reaper) is preferred; after each
exercise, what the kernel's namespaces did not already take away with it is swept
(`sweep.py`): processes, IPC objects, files in the machine's shared scratch folders.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
from dataclasses import dataclass
from pathlib import Path

# systemd gives 524288-1879048191 to containers and 2147352576 up to foreign ranges; accounts
# live far below. These 256 uids sit between, and each is checked free before it is taken.
FIRST_UID = 1_998_000_000
SLOTS = 256
LOCKS = Path("/run/bpgrade/slots")


def is_slot_uid(uid: int) -> bool:
    return FIRST_UID <= uid < FIRST_UID + SLOTS


@dataclass
class Slot:
    uid: int
    gid: int
    _lock: int

    def release(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._lock)


def _subordinate_ranges() -> list[range]:
    """The uid ranges that /etc/subuid and /etc/subgid give to containers."""
    ranges = []
    for table in ("/etc/subuid", "/etc/subgid"):
        with contextlib.suppress(OSError), open(table) as file:
            for line in file:
                parts = line.strip().split(":")
                with contextlib.suppress(ValueError, IndexError):
                    start, count = int(parts[1]), int(parts[2])
                    ranges.append(range(start, start + count))
    return ranges


def _in_use(uid: int, subordinate: list[range]) -> bool:
    """An account, a container range, or a process of another program has this uid."""
    for lookup in (pwd.getpwuid, _group):
        try:
            lookup(uid)
            return True
        except KeyError:
            pass
    return any(uid in taken for taken in subordinate)


def _group(gid: int) -> object:
    import grp

    return grp.getgrgid(gid)


def _lock_folder() -> Path:
    LOCKS.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(LOCKS, 0o700)
    os.chmod(LOCKS.parent, 0o700)
    return LOCKS


def take() -> Slot:
    """The first free slot with nothing of an earlier holder left, locked for this process
    (and its forks) until released; where every free one still has an earlier holder's
    zombies, the first free one."""
    folder = _lock_folder()
    subordinate = _subordinate_ranges()
    haunted: Slot | None = None
    for index in range(SLOTS):
        uid = FIRST_UID + index
        if _in_use(uid, subordinate):
            continue
        fd = os.open(folder / f"{index}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        slot = Slot(uid, uid, fd)
        if _cleared(uid):
            if haunted is not None:
                haunted.release()
            return slot
        if haunted is None:
            haunted = slot
        else:
            slot.release()
    if haunted is not None:
        return haunted
    raise LookupError(f"all {SLOTS} sandbox uids from {FIRST_UID} are taken or in use")


def _cleared(uid: int) -> bool:
    """Kill what an earlier holder of the slot left running (the exercise of a grader killed
    at the wrong moment can outlive it); whether nothing is left, not even a zombie. A zombie
    runs nothing, but it waits on its parent (init, once its grader is gone, which may reap
    late), and it counts against the uid's process limit, which the next holder's exercises
    would find short."""
    from grader.sandbox import sweep

    left = sweep.processes(uid)
    if any(not zombie for _, zombie in left):
        sweep.kill_processes(uid)
        left = sweep.processes(uid)
    return not left
