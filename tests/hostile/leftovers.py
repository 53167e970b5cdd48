"""What learner code left on the machine after grading, as a root grader's machine sees it.

Learner code runs as the sandbox's uids: one per concurrently graded submission, taken from
`grader.sandbox.slots` (FIRST_UID .. FIRST_UID + SLOTS - 1), and `nobody` (the `--user`
default, and what an older grader used for everyone). After an attack is graded, nothing of
those uids may be left: no process, no System V IPC object, no file in the machine's shared
scratch folders. `assert_clean(mark)` checks that, for what appeared since `mark = now()`
(so that an unrelated `nobody` daemon or an earlier run's debris is not blamed on this
attack), and, when something is left, removes it (by pid, by IPC id, by path: only what
appeared since the mark, so only what the attack made) before failing with the list, so that
one failing attack does not fail the tests after it.

Other graders may run on the same machine at the same time (a developer's other test run):
what they hold is not ours to blame or remove. A slot uid whose lock (/run/bpgrade/slots) is
held by a process that is not this one or one of its descendants belongs to another grader;
a process whose nearest root-owned grader ancestor (bpgrade, grader.batch, the sandbox's
zygote and supervisors) is not ours is held by another grader. Processes of ours that outlived
their grader have no grader ancestor left (they were re-parented to init or a subreaper).

Helpers for tests only; no attack imports this.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pwd
import shutil
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

try:
    from grader.sandbox.slots import FIRST_UID, LOCKS, SLOTS
except ImportError:  # a grader from before slots: the range the slots module reserves
    FIRST_UID, SLOTS, LOCKS = 1_998_000_000, 256, Path("/run/bpgrade/slots")

SCRATCH = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/dev/mqueue")
IPC_TABLES = ("shm", "msg", "sem")
WALK_DEPTH = 4  # scratch folders are walked this deep (world-writable ones always)
GRACE = 1.0  # seconds a killed process may take to be gone from /proc
CLEANUP = 45.0  # seconds spent removing what was left (a fork chain ends on its own by then)
QUIET = 0.5  # seconds without any process of theirs before the removal is done


GRADER_WORDS = ("bpgrade", "grader.batch", "grader.sandbox", "-m grader")


def learner_uids() -> frozenset[int]:
    """The uids learner code runs as, less the slots another grader holds now."""
    uids = set(range(FIRST_UID, FIRST_UID + SLOTS))
    with contextlib.suppress(KeyError):
        uids.add(pwd.getpwnam("nobody").pw_uid)
    return frozenset(uids - _others_slots())


def _parent(pid: int) -> int:
    try:
        return int(_read(f"/proc/{pid}/stat").rsplit(")", 1)[1].split()[1])
    except (ValueError, IndexError):
        return 0


def _ancestors(pid: int) -> list[int]:
    chain = []
    while pid > 1 and len(chain) < 64:
        pid = _parent(pid)
        chain.append(pid)
    return chain


def _ours(pid: int) -> bool:
    """This process, or one it started (a grader this test runs)."""
    return pid == os.getpid() or os.getpid() in _ancestors(pid)


def _others_slots() -> set[int]:
    """The slot uids whose lock another grader holds (read from /proc/locks)."""
    slots = {}
    with contextlib.suppress(OSError):
        for lock in LOCKS.glob("*.lock"):
            with contextlib.suppress(OSError, ValueError):
                slots[lock.stat().st_ino] = FIRST_UID + int(lock.stem)
    others = set()
    for line in _read("/proc/locks").splitlines():
        fields = line.split()
        with contextlib.suppress(ValueError, IndexError):
            pid, inode = int(fields[4]), int(fields[5].rsplit(":", 1)[1])
            if inode in slots and pid > 0 and not _ours(pid):
                others.add(slots[inode])
    return others


def _held_by_another_grader(pid: int) -> bool:
    """Its nearest root-owned grader ancestor is alive and not ours."""
    for ancestor in _ancestors(pid):
        if ancestor <= 1:
            return False
        status = _read(f"/proc/{ancestor}/status")
        uid = next((line.split()[1] for line in status.splitlines() if line.startswith("Uid:")), "")
        cmdline = _read(f"/proc/{ancestor}/cmdline").replace("\0", " ")
        if uid == "0" and any(word in cmdline for word in GRADER_WORDS):
            return not _ours(ancestor)
    return False


@dataclass(frozen=True)
class Mark:
    """A moment: the wall clock (files, IPC objects) and the boot clock (processes)."""

    wall: float
    boot: float


def now() -> Mark:
    # a second of slack: file and IPC times have a second's resolution, /proc's start times
    # a clock tick
    return Mark(time.time() - 1.0, time.clock_gettime(time.CLOCK_BOOTTIME) - 1.0)


@dataclass(frozen=True)
class Process:
    pid: int
    uid: int
    state: str
    name: str
    cmdline: str

    def __str__(self) -> str:
        return f"pid {self.pid} uid {self.uid} ({self.state}) {self.name}: {self.cmdline[:120]}"


@dataclass(frozen=True)
class IpcObject:
    table: str  # shm, msg or sem
    id: int
    uid: int
    size: str

    def __str__(self) -> str:
        return f"System V {self.table} {self.id} of uid {self.uid} ({self.size})"


@dataclass
class Leftovers:
    processes: list[Process] = field(default_factory=list)
    ipc: list[IpcObject] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.processes or self.ipc or self.files)

    def describe(self) -> str:
        lines = [f"{len(self.processes)} processes, {len(self.ipc)} IPC objects, "]
        lines[0] += f"{len(self.files)} files of the learner's uids were left:"
        lines += [f"  {p}" for p in self.processes[:20]]
        lines += [f"  {o}" for o in self.ipc[:20]]
        lines += [f"  {f}" for f in self.files[:20]]
        return "\n".join(lines)


def _read(path: str) -> str:
    try:
        with open(path, "rb") as file:
            return file.read().decode(errors="replace")
    except OSError:
        return ""


def processes(since: Mark, uids: frozenset[int] | None = None) -> list[Process]:
    """Live processes (zombies are dead: only their parent's wait is missing) of the learner's
    uids, any of real, effective, saved or filesystem uid, started since the mark, that no
    other grader holds."""
    uids = learner_uids() if uids is None else uids
    ticks = os.sysconf("SC_CLK_TCK")
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        status = _read(f"/proc/{name}/status")
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        try:
            ids = {int(u) for u in fields.get("Uid", "").split()}
            state = fields.get("State", "?").split()[0]
            stat = _read(f"/proc/{name}/stat")
            started = int(stat.rsplit(")", 1)[1].split()[19]) / ticks
        except (ValueError, IndexError):
            continue  # it ended while we looked
        if not ids & uids or state == "Z" or started < since.boot:
            continue
        if _held_by_another_grader(int(name)):
            continue
        cmdline = _read(f"/proc/{name}/cmdline").replace("\0", " ").strip()
        owner = next(iter(ids & uids))
        found.append(Process(int(name), owner, state, fields.get("Name", "").strip(), cmdline))
    return found


def ipc_objects(since: Mark, uids: frozenset[int] | None = None) -> list[IpcObject]:
    """System V shared memory segments, message queues and semaphore sets owned or created by
    the learner's uids since the mark (as seen from this IPC namespace)."""
    uids = learner_uids() if uids is None else uids
    found = []
    for table in IPC_TABLES:
        lines = _read(f"/proc/sysvipc/{table}").splitlines()
        if not lines:
            continue
        header = lines[0].split()
        for line in lines[1:]:
            row = dict(zip(header, line.split(), strict=False))
            try:
                owners = {int(row["uid"]), int(row["cuid"])}
                made = int(row.get("ctime", "0"))
                ident = int(row[{"shm": "shmid", "msg": "msqid", "sem": "semid"}[table]])
            except (KeyError, ValueError):
                continue
            if owners & uids and made >= since.wall:
                size = {"shm": "size", "msg": "cbytes", "sem": "nsems"}[table]
                found.append(IpcObject(table, ident, next(iter(owners & uids)), row.get(size, "?")))
    return found


def files(since: Mark, uids: frozenset[int] | None = None) -> list[str]:
    """Files and folders of the learner's uids in the machine's shared scratch folders, made
    since the mark. World-writable folders (where another user's files can be) are walked
    whole, others a few levels deep (a sandbox's own private folders sit there)."""
    uids = learner_uids() if uids is None else uids
    found: list[str] = []
    for root in SCRATCH:
        stack = [(root, 0)]
        while stack and len(found) < 1000:
            folder, depth = stack.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if info.st_uid in uids and info.st_ctime >= since.wall:
                    found.append(entry.path)
                    continue  # removing it removes what is in it
                if not entry.is_dir(follow_symlinks=False):
                    continue
                if info.st_mode & 0o002 or info.st_gid in uids or depth + 1 < WALK_DEPTH:
                    stack.append((entry.path, depth + 1))
    return sorted(found)


def find(since: Mark) -> Leftovers:
    return Leftovers(processes(since), ipc_objects(since), files(since))


def _remove_ipc(obj: IpcObject) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    ipc_rmid = 0
    if obj.table == "shm":
        libc.shmctl(obj.id, ipc_rmid, None)
    elif obj.table == "msg":
        libc.msgctl(obj.id, ipc_rmid, None)
    else:
        libc.semctl(obj.id, 0, ipc_rmid)


def remove(since: Mark) -> None:
    """Remove what the learner's uids left since the mark: each process by its pid, again and
    again until none has been seen for half a second (processes that replace each other, such
    as a fork chain, end by themselves within their lifetime), each IPC object by its id, each
    file by its path."""
    deadline = time.monotonic() + CLEANUP
    quiet_since = time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - quiet_since < QUIET:
        alive = processes(since)
        if alive:
            quiet_since = time.monotonic()
        for process in alive:
            with contextlib.suppress(OSError):
                os.kill(process.pid, signal.SIGKILL)
        time.sleep(0.01)
    for obj in ipc_objects(since):
        with contextlib.suppress(OSError):
            _remove_ipc(obj)
    for path in files(since):
        with contextlib.suppress(OSError):
            if Path(path).is_dir() and not Path(path).is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)


def assert_clean(since: Mark, grace: float = GRACE) -> None:
    """Nothing of the learner's uids is left since the mark; otherwise clean up, then fail."""
    deadline = time.monotonic() + grace
    left = find(since)
    while left.processes and time.monotonic() < deadline:  # a SIGKILL takes a moment
        time.sleep(0.05)
        left = find(since)
    if left:
        remove(since)
        raise AssertionError(left.describe())


@contextmanager
def checked(grace: float = GRACE) -> Iterator[Mark]:
    """Around a test: nothing of the learner's uids is left when it ends. When the test fails
    on its own, what was left is printed (pytest shows it with the failure) and removed."""
    mark = now()
    try:
        yield mark
    except BaseException:
        left = find(mark)
        if left:
            print(left.describe())
            remove(mark)
        raise
    assert_clean(mark, grace)
