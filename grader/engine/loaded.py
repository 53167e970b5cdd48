"""What an engine has loaded, as file times and sizes: the grader's own modules and a
course's catalog, specs, reference solutions, recorded answers, quizzes and drivers. When
any of it differs from what was loaded, the engine is stale (its modules and caches hold the
old), and a fresh one takes over.

The learner's files are not in it: exercises/ is looked at for its catalog only.
"""

from __future__ import annotations

import os
from pathlib import Path

from grader.engine.place import GRADER_PACKAGE

# a course's folders that the grader loads and keeps (modules, cached answers)
COURSE_FOLDERS = ("specs", "solutions", "expected", "quizzes", "drivers")

Stamps = dict[str, tuple[int, int]]  # path: (mtime in ns, size)


def _walk(folder: str, into: Stamps) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.name == "__pycache__" or entry.name.startswith("."):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                _walk(entry.path, into)
            elif entry.is_file():
                info = entry.stat()
                into[entry.path] = (info.st_mtime_ns, info.st_size)
        except OSError:
            continue


def grader_stamps() -> Stamps:
    stamps: Stamps = {}
    _walk(GRADER_PACKAGE, stamps)
    return stamps


def course_stamps(course: Path) -> Stamps:
    stamps: Stamps = {}
    catalog = course / "exercises" / "catalog.toml"
    try:
        info = catalog.stat()
        stamps[str(catalog)] = (info.st_mtime_ns, info.st_size)
    except OSError:
        pass
    for name in COURSE_FOLDERS:
        _walk(str(course / name), stamps)
    return stamps


class Loaded:
    """The stamps of the grader when the engine started, and of each course when the
    engine first served it."""

    def __init__(self) -> None:
        self.grader = grader_stamps()
        self.courses: dict[Path, Stamps] = {}

    def stale(self, course: Path) -> str | None:
        """What changed since it was loaded (a file's path), or None."""
        changed = _difference(self.grader, grader_stamps())
        if changed is not None:
            return changed
        now = course_stamps(course)
        was = self.courses.setdefault(course, now)
        return _difference(was, now)


def _difference(was: Stamps, now: Stamps) -> str | None:
    if was == now:
        return None
    for path in sorted(was.keys() | now.keys()):
        if was.get(path) != now.get(path):
            return path
    return None
