"""Everything a sandbox uid owns, swept away: processes, IPC objects, files in shared folders.

With the exercise's namespaces (`namespaces.py`) the kernel does all of this itself when the
exercise ends. Where it refused them, these sweeps stand in, and they run before a slot's
first exercise too, so that nothing left by an earlier holder of the uid can meet the next
submission. Each uid belongs to one sandbox at a time (`slots.py`), so sweeping it never
touches anyone else's processes or files.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import sys

# world-writable folders where learner code could leave files outside its own scratch space
SHARED_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock", "/dev/mqueue")
IPC_RMID = 0
IPC_TABLES = {"shm": "shmctl", "msg": "msgctl", "sem": "semctl"}


def kill_processes(uid: int) -> None:
    """Kill every process of `uid` until none is left.

    A process of that uid sends SIGKILL to all it may signal (all processes of the uid but
    itself) with kill(-1), again and again until /proc shows none alive: a fork storm cannot
    outrun it, since every round kills the children of the round before. (kill(-1) itself
    cannot tell: it succeeds whenever any other process exists, signalled or not.)"""
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            for _ in range(10_000):
                with contextlib.suppress(OSError):
                    os.kill(-1, signal.SIGKILL)
                if not living(uid, but=os.getpid()):
                    status = 0
                    break
        finally:
            os._exit(status)
    os.waitpid(pid, 0)


def living(uid: int, but: int | None = None) -> list[int]:
    """The processes of `uid` that are not zombies (a zombie runs nothing; its parent reaps
    it), as /proc shows them."""
    return [pid for pid, zombie in processes(uid) if not zombie and pid != but]


def processes(uid: int) -> list[tuple[int, bool]]:
    """Every process of `uid` that /proc shows, and whether it is a zombie."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status") as file:
                fields = dict(
                    line.split(":", 1) for line in file.read().splitlines() if ":" in line
                )
        except (OSError, ValueError):
            continue
        if str(uid) in fields.get("Uid", "").split():
            found.append((int(name), fields.get("State", "").strip().startswith("Z")))
    return found


def _ipc_objects(uid: int) -> list[tuple[str, int]]:
    """(table, id) of the System V IPC objects that `uid` owns or created."""
    found = []
    for table in IPC_TABLES:
        with contextlib.suppress(OSError), open(f"/proc/sysvipc/{table}") as file:
            header = file.readline().split()
            try:
                columns = (_id_column(table), "uid", "cuid")
                id_at, uid_at, cuid_at = (header.index(k) for k in columns)
            except ValueError:
                continue
            for line in file:
                fields = line.split()
                with contextlib.suppress(ValueError, IndexError):
                    if uid in (int(fields[uid_at]), int(fields[cuid_at])):
                        found.append((table, int(fields[id_at])))
    return found


def _id_column(table: str) -> str:
    return {"shm": "shmid", "msg": "msqid", "sem": "semid"}[table]


def remove_ipc(uid: int) -> int:
    """Remove the System V shared memory segments, message queues and semaphore sets of
    `uid`; how many there were."""
    objects = _ipc_objects(uid)
    if not objects or sys.platform != "linux":
        return len(objects)
    libc = ctypes.CDLL(None, use_errno=True)
    for table, ident in objects:
        control = getattr(libc, IPC_TABLES[table])
        if table == "sem":
            control(ident, 0, IPC_RMID, None)
        else:
            control(ident, IPC_RMID, None)
    return len(objects)


def remove_files(uid: int, folders: tuple[str, ...] = SHARED_FOLDERS) -> None:
    """Remove what `uid` left at the top of the machine's shared scratch folders."""
    for shared in folders:
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


def sweep(uid: int) -> None:
    kill_processes(uid)
    remove_ipc(uid)
    remove_files(uid)
