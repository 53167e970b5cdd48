"""Linux namespaces and a minimal filesystem for learner code (as root only).

The zygote enters a mount namespace of its own once and builds there a small root: the
system's programs and libraries and the interpreter's own folders, all read-only, and nothing
else of the machine (no home folders, no checkout of the course, no other submissions). Per
exercise the supervisor then takes fresh namespaces for everything the learner's code starts:

- PID: the learner's child is process 1 of a namespace of its own; when it ends, the kernel
  kills every process in the namespace, however it was started (new sessions, double forks,
  fork chains, compiled helpers): nothing can outlive its exercise.
- mount: a private /tmp (a size-capped tmpfs, gone with the exercise), the submission
  read-only at /submission, and a /proc that shows the exercise's own processes only (not the
  grader's command line).
- IPC: System V and POSIX message-queue objects die with the exercise.
- network: no interface but a loopback that is down; nothing reaches out or in.

Each step may be refused (a container without CAP_SYS_ADMIN, a seccomp filter): what was
refused is reported, and `sweep.py` and the other limits stand in.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18

ROOT = Path("/run/bpgrade/root")  # a mount point; each zygote mounts its own root over it
SUBMISSION = "/submission"  # where the submission appears inside the root
SCRATCH = "/tmp"  # the exercise's private scratch space, HOME and TMPDIR
# where the exercise's drivers module (grader.drivers) appears: a copy of that one file in a
# folder of its own, read-only, and nothing else of the course
DRIVERS = "/drivers"
# top-level folders of the machine that learner code may see, read-only: programs, libraries
# and the system's configuration (the loader's cache, users, time zones)
SYSTEM = ("bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr", "etc")
DEVICES = ("null", "zero", "full", "random", "urandom")

_libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def _check(result: int, what: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def unshare(flags: int) -> None:
    if _libc is None:
        raise OSError("namespaces need Linux")
    _check(_libc.unshare(flags), "unshare")


def mount(source: str | None, target: str, kind: str | None, flags: int, data: str = "") -> None:
    if _libc is None:
        raise OSError("mounts need Linux")

    def raw(text: str | None) -> bytes | None:
        return None if text is None else text.encode()

    _check(
        _libc.mount(raw(source), raw(target), raw(kind), flags, raw(data) if data else None),
        f"mount {target}",
    )


def bind(source: str, target: str, *, writable: bool = False) -> None:
    """`source` at `target`, read-only unless asked, never setuid, never a device."""
    mount(source, target, None, MS_BIND | MS_REC)
    flags = MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | (0 if writable else MS_RDONLY)
    mount(None, target, None, flags)


@dataclass
class Root:
    """The learner's filesystem, built once in the zygote's own mount namespace."""

    path: Path
    notes: list[str] = field(default_factory=list)
    # Interpreter folders that lie in what becomes the exercise's private /tmp (a virtual
    # environment made under /tmp, as CI and PrairieLearn do): the scratch tmpfs would cover
    # them, so each exercise binds them again on top of its own scratch.
    beneath_scratch: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)


def build_root(interpreter: Iterable[str], hidden: Iterable[str]) -> Root:
    """Enter a mount namespace of our own and build the learner's root there.

    `interpreter`: folders Python needs (its standard library, extension modules,
    site-packages), bound read-only at their own paths. `hidden`: folders of the course
    (the grader's own package, the course) that must not be seen even where they lie inside a
    bound folder (a regular install keeps the course in site-packages): an empty read-only
    tmpfs covers them."""
    unshare(CLONE_NEWNS)
    mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we mount leaks back to the machine
    ROOT.mkdir(parents=True, exist_ok=True, mode=0o700)
    root = str(ROOT)
    mount("bpgrade-root", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=1m,nr_inodes=4096")
    bound: list[str] = []
    beneath_scratch: list[str] = []
    elsewhere: list[str] = []
    for name in SYSTEM:
        source = f"/{name}"
        if os.path.islink(source):
            os.symlink(os.readlink(source), f"{root}/{name}")
        elif os.path.isdir(source):
            os.mkdir(f"{root}/{name}")
            bind(source, f"{root}/{name}")
            bound.append(source)
    for folder in map(os.path.realpath, interpreter):
        (beneath_scratch if _inside(folder, SCRATCH) else elsewhere).append(folder)
    bound += _bind_interpreter(root, elsewhere, bound)
    hidden = [os.path.realpath(folder) for folder in hidden]
    _hide(root, hidden, bound)
    _devices(root)
    for name in ("proc", SUBMISSION.strip("/"), SCRATCH.strip("/"), DRIVERS.strip("/")):
        os.makedirs(f"{root}/{name}", exist_ok=True)
    os.symlink(SCRATCH, f"{root}/dev/shm")  # POSIX shared memory lives in the exercise's tmpfs
    # /var is there already where Python lives beneath it (a virtual environment in
    # /var/lib); /var/tmp too where it lives in /var/tmp, which then stays a passage
    os.makedirs(f"{root}/var", exist_ok=True)
    if not os.path.lexists(f"{root}/var/tmp"):
        os.symlink(SCRATCH, f"{root}/var/tmp")
    mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    return Root(ROOT, beneath_scratch=beneath_scratch, hidden=hidden)


def _bind_interpreter(root: str, folders: Iterable[str], bound: Iterable[str] = ()) -> list[str]:
    """Bind each interpreter folder read-only at its own path in the root, once: a folder
    inside one already bound (`bound` or an earlier one) is there with it. Returns those it
    bound."""
    there, new = list(bound), []
    for folder in folders:
        if any(_inside(folder, b) for b in there) or not os.path.isdir(folder):
            continue
        _passage(root, folder)
        bind(folder, root + folder)
        there.append(folder)
        new.append(folder)
    return new


def _hide(root: str, hidden: Iterable[str], bound: Iterable[str]) -> None:
    """An empty read-only tmpfs over each course folder that lies inside a bound folder; a
    folder inside one already covered (grader/_course inside grader) is gone with it."""
    inside_bound, covered = list(bound), list[str]()
    for folder in sorted(hidden, key=len):
        if any(_inside(folder, c) for c in covered) or not os.path.isdir(folder):
            continue
        if any(_inside(folder, b) for b in inside_bound):
            mount("bpgrade-hidden", root + folder, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV)
            covered.append(folder)


def _passage(root: str, folder: str) -> None:
    """The folders above `folder` in the root, which learner code may pass through but not
    list (as it could not on the machine: /root is 0700 there)."""
    path = root
    for part in Path(folder).parts[1:]:
        path = os.path.join(path, part)
        if not os.path.isdir(path):
            os.mkdir(path, 0o711)
            os.chmod(path, 0o711)


def _devices(root: str) -> None:
    os.mkdir(f"{root}/dev")
    for name in DEVICES:
        node = f"{root}/dev/{name}"
        with open(node, "w"):
            pass
        with contextlib.suppress(OSError):
            mount(f"/dev/{name}", node, None, MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0")):
        os.symlink(target, f"{root}/dev/{name}")
    os.symlink("/proc/self/fd/1", f"{root}/dev/stdout")
    os.symlink("/proc/self/fd/2", f"{root}/dev/stderr")


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


# What each exercise's supervisor asks for; any the kernel refuses is left out and named.
EXERCISE_NAMESPACES = {
    "a PID namespace": CLONE_NEWPID,
    "an IPC namespace": CLONE_NEWIPC,
    "a network namespace": CLONE_NEWNET,
}


def enter_exercise_namespaces(root: Root | None, without: frozenset[str]) -> list[str]:
    """In the supervisor, before it forks the learner's child: fresh namespaces for the
    exercise. Returns those the kernel refused (or that `without` names: "pid", "ipc",
    "net", as tests of the fallbacks ask)."""
    refused = []
    if root is not None:
        try:
            unshare(CLONE_NEWNS)
        except OSError:
            refused.append("a mount namespace")
    for name, flag in EXERCISE_NAMESPACES.items():
        try:
            if name.split()[1].lower() in without:
                raise PermissionError("done without, as asked")
            unshare(flag)
        except OSError:
            refused.append(name)
    return refused


def mount_exercise(
    root: Root, workspace: str, uid: int, scratch_size: int, drivers: str | None = None
) -> None:
    """In the supervisor's own mount namespace: the submission and a private scratch tmpfs
    owned by the learner's uid, capped in bytes and in files; and `drivers`, the folder that
    holds a copy of the exercise's drivers module, read-only at DRIVERS."""
    base = str(root.path)
    options = f"mode=700,uid={uid},gid={uid},size={scratch_size},nr_inodes=4096"
    mount("bpgrade-scratch", base + SCRATCH, "tmpfs", MS_NOSUID | MS_NODEV, options)
    if root.beneath_scratch:  # the folders above them belong to root, and only pass (0711)
        _hide(base, root.hidden, _bind_interpreter(base, root.beneath_scratch))
    bind(workspace, base + SUBMISSION)
    if drivers is not None:
        bind(drivers, base + DRIVERS)


def enter_root(root: Root, own_pids: bool) -> None:
    """In the learner's child, still root: a /proc, then the minimal root as `/`. In its own
    PID namespace the /proc shows the exercise's processes only; without one, processes of
    other users (the grader's command line among them) are hidden from it."""
    base = str(root.path)
    flags = MS_NOSUID | MS_NODEV | MS_NOEXEC
    mount("proc", base + "/proc", "proc", flags, "" if own_pids else "hidepid=2")
    os.chroot(base)
    os.chdir("/")
