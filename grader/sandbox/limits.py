"""What an exercise's child may use and who it runs as: `Limits`, the runtimes, the user.

Nothing here runs learner code or judges it: these are the settings the grader hands the
zygote with each request, and their sizes in words for the sentences that name them.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

GIB = 1 << 30
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


def size_text(size: int) -> str:
    """A number of bytes in words: "1 GiB", "1.5 MiB", "64 KiB", "100 bytes"."""
    for unit, scale in (("GiB", GIB), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:g} {unit}"
    return f"{size} bytes"


def seconds_text(value: float) -> str:
    return f"{value:g} s"


def unprivileged(name: str) -> dict[str, int]:
    """The uid and gid of the user `name`, whom learner code may run as (not root)."""
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


def torch_available() -> bool:
    """Whether torch can be imported here, found without importing it."""
    import importlib.util

    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False
