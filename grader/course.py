"""Where the course lives: the catalog, the reference solutions (or, in a release, the recorded
answers) and the quizzes.

In order:
1. the environment variable BPGRADE_COURSE, a course folder;
2. a release (`bpgrade release`) that holds the working directory: the nearest ancestor of it
   with both `exercises/catalog.toml` and `expected/`, so `bpgrade` works anywhere inside a
   handed-out folder, whichever copy of bpgrade runs;
3. the copy a regular install carries in `grader/_course`;
4. the checkout beside this package (an editable install, the usual way to work on a course).
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def is_installed_copy(course: Path) -> bool:
    """The course is the copy a regular install carries: bpgrade's own files, which it may
    lock away from learner code, unlike an instructor's checkout or a release folder."""
    try:
        return course.resolve() == (_PACKAGE / "_course").resolve()
    except OSError:
        return False


def is_release_root(folder: Path) -> bool:
    return (
        (folder / "exercises" / "catalog.toml").is_file()
        and (folder / "expected").is_dir()
        and _trusted(folder)
    )


def _trusted(folder: Path) -> bool:
    """A folder anyone may write into (/tmp, say) is no course: anyone could have planted it.
    A course is owned by whoever runs bpgrade, or by root."""
    try:
        info = folder.stat()
    except OSError:
        return False
    owner_ok = not hasattr(os, "geteuid") or info.st_uid in (os.geteuid(), 0)
    return owner_ok and not info.st_mode & 0o022


def is_release(course: Path) -> bool:
    """The course is a student release (`bpgrade release`): answers recorded in expected/ and
    no reference solutions. The instructor's commands have nothing to work from there."""
    return (course / "expected").is_dir() and not (course / "solutions").exists()


def release_around(start: Path) -> Path | None:
    """The nearest release folder that is `start` or one of its ancestors."""
    for folder in (start, *start.parents):
        if is_release_root(folder):
            return folder
    return None


def is_workspace(folder: Path) -> bool:
    """A learner's workspace: it holds their exercises (with the catalog) or bpgrade's state,
    and nobody else may write into it (the trust rule a course has)."""
    holds = (folder / "exercises" / "catalog.toml").is_file() or (folder / ".bpgrade").is_dir()
    return holds and _trusted(folder)


def workspace_root(start: Path | None = None) -> Path:
    """Where the learner's progress, hints and quiz answers live, and where `exercises/` is
    looked for: the nearest workspace that is `start` (the working directory) or one of its
    ancestors, else `start` itself. So every command works from inside `exercises/`."""
    try:
        here = (start if start is not None else Path.cwd()).resolve()
    except OSError:  # the working directory was removed
        return Path(".")
    for folder in (here, *here.parents):
        if is_workspace(folder):
            return folder
    return here


def course_root() -> Path:
    override = os.environ.get("BPGRADE_COURSE")
    if override:
        return Path(override)
    try:
        here = Path.cwd().resolve()
    except OSError:  # the working directory was removed
        here = None
    release = release_around(here) if here is not None else None
    if release is not None:
        return release
    packaged = _PACKAGE / "_course"
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent


def catalog_path() -> Path:
    return course_root() / "exercises" / "catalog.toml"


def solutions_dir() -> Path:
    return course_root() / "solutions"


def quizzes_dir() -> Path:
    return course_root() / "quizzes"
