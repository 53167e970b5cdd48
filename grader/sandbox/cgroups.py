"""A control group per exercise: its memory and its processes counted as a whole.

A per-process limit (RLIMIT_AS) is no limit for code that forks: ten children of 700 MiB each
stay under a 1 GiB address-space limit apiece. Shared memory, memfd and tmpfs pages are not
in anyone's address space at all until mapped. The kernel charges all of them to the control
group of the process that touched them, so a group per exercise bounds the exercise: memory
(tmpfs and shared memory included, swap excluded) and the number of processes.

Both cgroup versions are used as the machine has them: v1 (a `memory` and a `pids`
hierarchy) or v2 (one unified hierarchy). Where neither can be written (a container without
a delegated cgroup), `available()` returns None and the per-process limits stand alone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

MOUNT = Path("/sys/fs/cgroup")
PREFIX = "bpgrade-"


def _own_paths() -> dict[str, str]:
    """This process's cgroup in each hierarchy: {"memory": "/a/b", "pids": "/", "": "/c"}
    where "" is the v2 hierarchy."""
    paths: dict[str, str] = {}
    with contextlib.suppress(OSError), open("/proc/self/cgroup") as file:
        for line in file:
            parts = line.rstrip("\n").split(":", 2)
            if len(parts) == 3:
                for controller in parts[1].split(","):
                    paths[controller] = parts[2]
    return paths


@dataclass(frozen=True)
class Hierarchy:
    """Where the zygote makes its exercises' groups: one folder per controller (v1), or one
    folder for both (v2)."""

    version: int
    memory: Path
    pids: Path

    def folders(self) -> list[Path]:
        return [self.memory] if self.memory == self.pids else [self.memory, self.pids]


def _v1() -> Hierarchy | None:
    own = _own_paths()
    found = {}
    for controller in ("memory", "pids"):
        if controller not in own:
            return None
        base = MOUNT / controller / own[controller].lstrip("/")
        if not (base / "cgroup.procs").is_file():
            return None
        found[controller] = base
    return Hierarchy(1, found["memory"], found["pids"])


def _v2() -> Hierarchy | None:
    own = _own_paths().get("")
    for mount in (MOUNT, MOUNT / "unified"):
        if own is None or not (mount / "cgroup.controllers").is_file():
            continue
        base = mount / own.lstrip("/")
        try:
            available = (base / "cgroup.controllers").read_text().split()
        except OSError:
            continue
        if {"memory", "pids"} <= set(available):
            return Hierarchy(2, base, base)
    return None


def _clear_stale(hierarchy: Hierarchy) -> None:
    """Groups a killed zygote left behind (empty: their processes died with it)."""
    for folder in hierarchy.folders():
        with contextlib.suppress(OSError):
            for entry in folder.iterdir():
                if entry.name.startswith(PREFIX) and not _alive(entry.name[len(PREFIX) :]):
                    _remove_tree(entry)


def _alive(pid: str) -> bool:
    return pid.isdigit() and Path(f"/proc/{pid}").exists()


def _remove_tree(folder: Path) -> None:
    with contextlib.suppress(OSError):
        for child in folder.iterdir():
            if child.is_dir():
                _remove_tree(child)
    with contextlib.suppress(OSError):
        folder.rmdir()


def remove_left_by(zygote: int) -> None:
    """The folder of groups of a zygote that has ended, removed with any group left in it."""
    for find in (_v1, _v2):
        hierarchy = find()
        if hierarchy is not None:
            for folder in hierarchy.folders():
                _remove_tree(folder / f"{PREFIX}{zygote}")


def available() -> Hierarchy | None:
    """The zygote's own folder of exercise groups in a hierarchy it may write, made now; None
    where there is none."""
    for find in (_v1, _v2):
        hierarchy = find()
        if hierarchy is None:
            continue
        _clear_stale(hierarchy)
        own = f"{PREFIX}{os.getpid()}"
        try:
            made = Hierarchy(hierarchy.version, hierarchy.memory / own, hierarchy.pids / own)
            for folder in made.folders():
                folder.mkdir(exist_ok=True)
            if made.version == 2:
                (made.memory / "cgroup.subtree_control").write_text("+memory +pids")
            return made
        except OSError:
            for folder in (hierarchy.memory / own, hierarchy.pids / own):
                with contextlib.suppress(OSError):
                    folder.rmdir()
    return None


@dataclass
class ExerciseGroup:
    """One exercise's group, made by its supervisor before the learner's child is forked."""

    hierarchy: Hierarchy
    name: str

    def folders(self) -> list[Path]:
        return [folder / self.name for folder in self.hierarchy.folders()]

    @classmethod
    def make(cls, hierarchy: Hierarchy, name: str, memory: int, processes: int) -> ExerciseGroup:
        group = cls(hierarchy, name)
        for folder in group.folders():
            folder.mkdir()
        memory_folder = hierarchy.memory / name
        pids_folder = hierarchy.pids / name
        if hierarchy.version == 1:
            _write(memory_folder / "memory.limit_in_bytes", memory)
            _write(memory_folder / "memory.memsw.limit_in_bytes", memory, optional=True)
        else:
            _write(memory_folder / "memory.max", memory)
            _write(memory_folder / "memory.swap.max", 0, optional=True)
        _write(pids_folder / "pids.max", processes)
        return group

    def join(self) -> None:
        """Move the calling process (the learner's child, still root) into the group, so that
        everything it starts is counted in it."""
        for folder in self.folders():
            _write(folder / "cgroup.procs", 0)

    def out_of_memory(self) -> bool:
        """The kernel's out-of-memory killer ended a process of the group."""
        memory = self.hierarchy.memory / self.name
        source = "memory.oom_control" if self.hierarchy.version == 1 else "memory.events"
        with contextlib.suppress(OSError, ValueError):
            for line in (memory / source).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value) > 0
        return False

    def kill_all(self) -> None:
        """Every process still in the group, killed; a backstop where no PID namespace did it."""
        folder = self.folders()[0]
        if (folder / "cgroup.kill").exists():
            with contextlib.suppress(OSError):
                _write(folder / "cgroup.kill", 1)
        for _ in range(200):
            try:
                listed = (self.hierarchy.pids / self.name / "cgroup.procs").read_text()
                pids = [int(p) for p in listed.split()]
            except (OSError, ValueError):
                return
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.001)

    def remove(self) -> None:
        """Remove the group once its processes are gone (they may take a moment to exit)."""
        for folder in self.folders():
            for _ in range(200):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.001)


def _write(path: Path, value: int, optional: bool = False) -> None:
    try:
        fd = os.open(path, os.O_WRONLY)
    except FileNotFoundError:
        if optional:
            return
        raise
    try:
        os.write(fd, str(value).encode())
    except OSError:
        if not optional:
            raise
    finally:
        os.close(fd)
