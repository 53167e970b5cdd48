"""Where the course lives: the catalog, the reference solutions and the quizzes.

An editable install (the usual way to work on a course) reads them from the checkout
beside this package; a regular install carries a copy in `grader/_course`. The
environment variable BPGRADE_COURSE points bpgrade at another course folder.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def course_root() -> Path:
    override = os.environ.get("BPGRADE_COURSE")
    if override:
        return Path(override)
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
