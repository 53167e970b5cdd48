"""Where an engine listens, and who may use it: standard library only, for the front.

One engine per user and installation: its socket's name holds a checksum of the Python and
the grader package it runs, so that two virtual environments of one user never answer for
each other (the engine checks the request's installation too). The folder is the user's
own, mode 0700; one owned by another user, or that others may enter, is refused rather than
repaired, since whoever could create it could also have put a socket of theirs there.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import zlib

GRADER_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIR_VARIABLE = "BPGRADE_ENGINE_DIR"  # a folder of one's own for the engine (tests use one each)


class Unsafe(OSError):
    """The engine's folder is not one only this user can use: no engine, grade in-process."""


def installation() -> str:
    """What the engine must run to answer for this front: this environment's Python (its
    prefix: `python` and `python3` are one), this grader."""
    return f"{sys.prefix}\n{GRADER_PACKAGE}"


def engine_dir() -> str:
    """BPGRADE_ENGINE_DIR; else bpgrade/ in the user's runtime folder; else a folder of the
    user's in /tmp."""
    chosen = os.environ.get(DIR_VARIABLE)
    if chosen:
        return os.path.abspath(chosen)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime):
        return os.path.join(runtime, "bpgrade")
    return os.path.join("/tmp", f"bpgrade-{os.geteuid()}")


def private_dir(path: str) -> str:
    """`path`, made 0700 where it is missing; Unsafe where it is not a folder of this user's
    that only they may use (a link, another owner, looser modes)."""
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise Unsafe(f"{path} is not a folder")
    if info.st_uid != os.geteuid():
        raise Unsafe(f"{path} belongs to uid {info.st_uid}")
    if info.st_mode & 0o077:
        raise Unsafe(f"{path} has mode {stat.S_IMODE(info.st_mode):o}, not 700")
    return path


def _named(folder: str, suffix: str) -> str:
    checksum = zlib.crc32(installation().encode()) & 0xFFFFFFFF
    return os.path.join(folder, f"engine-{checksum:08x}.{suffix}")


def socket_path(folder: str) -> str:
    return _named(folder, "sock")


def lock_path(folder: str) -> str:
    return _named(folder, "lock")


def log_path(folder: str) -> str:
    return _named(folder, "log")
