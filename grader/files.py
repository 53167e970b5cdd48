"""Files on disk: written whole or not at all, `write_atomically(path, text, mode)` for text
and `atomic_file(path, mode)` for whatever else writes to a binary file (a zip, say); and a
folder's tree walked without following links, `tree(root)`."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_file(path: Path, mode: int, *, sync: bool = True) -> Iterator[BinaryIO]:
    """A binary file to write, which becomes `path` atomically when the block ends: a reader
    sees the old file or the whole new one, never a half-written one, even if the process is
    killed mid-write. The folder is made if missing. The file has `mode`, exactly, whatever
    the umask, before it takes the name `path`; until then, as a temporary file beside it, it
    is its owner's only (0o600), and it is removed if anything fails on the way, the block
    included. `sync` False leaves the rename to the caller's `sync_folder` (one for many
    files): until then a crash of the machine may lose it, never half of the file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        # mkstemp makes the file 0o600; chmod sets the mode exactly, whatever the umask.
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    if sync:
        sync_folder(path.parent)


def write_atomically(path: Path, text: str, mode: int, *, sync: bool = True) -> None:
    """Write `text` (UTF-8, line endings as they are) to `path` atomically, as `atomic_file`
    writes: the old file or the whole new one, with `mode` before it takes the name."""
    with atomic_file(path, mode, sync=sync) as file:
        file.write(text.encode("utf-8"))


def sync_folder(folder: Path) -> None:
    """Make the rename itself durable; a best effort, since not every system can open a
    folder for syncing (Windows cannot)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def tree(root: Path, *, links: bool = False) -> Iterator[Path]:
    """`root`, then every folder and file under it, never through a link: a folder a link
    names is not walked (it could name anything on the machine), and a link is left out, or
    with `links` yielded as it is, for the caller to judge."""
    root = Path(root)
    yield root
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            if links or not path.is_symlink():
                yield path
