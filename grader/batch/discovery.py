"""Finding the class's submissions: each direct sub-folder of the class's folder is a
student, named by its folder; anything else (a file, a link, a folder whose name cannot be a
student id or that cannot be read, two folders alike but for letter case) is rejected, with
the reason the gradebook gives."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# a student id becomes a file name: letters, digits and a few safe signs, no leading sign
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")
NOT_A_FOLDER = "a file, not a folder: put each student's files in a folder named by their id"


@dataclass(frozen=True)
class Rejected:
    name: str  # the folder's name, printable
    reason: str


def printable(name: str) -> str:
    """A folder name as it can be shown: control characters and undecodable bytes escaped."""
    return name if name.isprintable() else repr(name)[1:-1]


def unsafe_id(name: str) -> str | None:
    """Why a folder name cannot be a student id (it names the report file), or None."""
    if STUDENT_ID.fullmatch(name) and ".." not in name:
        return None
    return (
        "not usable as a student id: use letters, digits and . _ @ + - (up to 100 characters, "
        "starting with a letter or a digit); rename the folder"
    )


def unreadable(folder: Path) -> str | None:
    """Why a student's folder cannot be listed, or None: graded as it is, it would score 0 as
    if empty."""
    try:
        with os.scandir(folder):
            return None
    except OSError as error:
        return f"the folder could not be read ({error.strerror}); make it readable"


def discover(submissions: Path, exclude: Sequence[Path] = ()) -> tuple[list[Path], list[Rejected]]:
    """Each direct sub-folder is a student; hidden entries and `exclude` (what the batch
    writes, when it writes into the class's folder) are not. Anything else that is not a
    usable student folder is rejected with the reason: a file, a link, a folder whose name
    cannot be an id or that cannot be read."""
    candidates: list[Path] = []
    rejected: list[Rejected] = []
    excluded = {path.resolve() for path in exclude}
    for path in sorted(submissions.iterdir(), key=lambda p: p.name):
        name = path.name
        if name.startswith(".") or path.resolve() in excluded:
            continue
        if path.is_symlink():
            rejected.append(Rejected(printable(name), "a symbolic link, not a folder"))
            continue
        if not path.is_dir():
            rejected.append(Rejected(printable(name), NOT_A_FOLDER))
            continue
        reason = unsafe_id(name) or unreadable(path)
        if reason is not None:
            rejected.append(Rejected(printable(name), reason))
        else:
            candidates.append(path)
    # their reports would be one file where letter case does not count (macOS, Windows)
    by_case: dict[str, list[str]] = {}
    for path in candidates:
        by_case.setdefault(path.name.lower(), []).append(path.name)
    folders = []
    for path in candidates:
        twins = [other for other in by_case[path.name.lower()] if other != path.name]
        if twins:
            reason = f"the same id as {twins[0]} but for letter case"
            rejected.append(Rejected(path.name, reason))
        else:
            folders.append(path)
    return folders, rejected
