"""The grader's folders for a sandbox's children, and what goes in them: a fresh copy of the
submission that the learner's user may read only, a scratch folder of its own, and a copy of
the exercise's drivers. Each sits in a private folder whose path cannot be found by listing,
and all of them go when the sandbox closes.

Nothing here runs learner code or judges it: it prepares what a child is given.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from grader.calls import NoResults
from grader.files import tree
from grader.sandbox.walk import copy_submission

if TYPE_CHECKING:
    from grader.catalog import ExerciseEntry


class Folders:
    """A sandbox's folders. `user`: the uid and gid learner code runs as, when the grader is
    root (None: as the grader's own user)."""

    def __init__(self, user: dict[str, int] | None) -> None:
        self.user = user
        self.temporary: list[Path] = []  # the outer folders made, removed by `close`

    def private(self, prefix: str) -> Path:
        """A fresh folder whose path cannot be found by listing: learner code running as the
        same user for another submission (batch grading) cannot discover it."""
        outer = Path(tempfile.mkdtemp(prefix=prefix, dir=self._base()))
        self.temporary.append(outer)
        os.chmod(outer, 0o711)  # others may pass through, never list
        inner = outer / secrets.token_hex(16)
        inner.mkdir()
        return inner

    def _base(self) -> str:
        """Where the sandbox's folders go: the usual temporary folder, unless the learner's
        user could not even pass through it (TMPDIR inside root's home, say)."""
        usual = tempfile.gettempdir()
        if self.user is None:
            return usual
        for candidate in (usual, "/tmp", "/var/tmp", "/dev/shm"):
            if _passable(Path(candidate)):
                return candidate
        raise RuntimeError("no temporary folder that the learner's user can pass through")

    def discard(self, inner: Path) -> None:
        """Remove a folder made by `private`, once what ran in it has ended."""
        outer = inner.parent
        if outer in self.temporary:
            self.temporary.remove(outer)
            shutil.rmtree(outer, ignore_errors=True)

    def close(self) -> None:
        for path in self.temporary:
            shutil.rmtree(path, ignore_errors=True)
        self.temporary.clear()

    def workspace(self, folder: Path) -> Path:
        """A fresh copy of the submission's regular files, which learner code may read only."""
        copy = self.private("bpgrade-submission-")
        copy_submission(folder, copy)
        if self.user is not None:
            _readable_by_all(copy)
        return copy

    def scratch(self) -> Path:
        """A private folder learner code may write into (its HOME and TMPDIR)."""
        scratch = self.private("bpgrade-scratch-")
        if self.user is not None:
            os.chown(scratch, self.user["uid"], self.user["gid"])
        os.chmod(scratch, 0o700)
        return scratch

    def drivers(self, exercise: ExerciseEntry | None, course: Path | None) -> Path | NoResults:
        """A copy of the exercise's drivers module, alone in a private folder the learner's user
        may read (and, in the minimal root, the only thing of the course it sees, at
        namespaces.DRIVERS): the course's folders, its specs and solutions among them, stay
        out of its reach."""
        from grader.drivers import driver_path

        if exercise is None:
            return NoResults("the grader planned a call with a driver for no exercise")
        source = driver_path(exercise.name, course)
        if not source.is_file():
            return NoResults(f"the grader has no drivers for {exercise.name} ({source})")
        folder = self.private("bpgrade-drivers-")
        shutil.copyfile(source, folder / source.name)
        if self.user is not None:
            _readable_by_all(folder)
        return folder / source.name


def _passable(folder: Path) -> bool:
    """Every folder on the way, this one included, lets other users through (o+x)."""
    folder = folder.resolve()
    try:
        return folder.is_dir() and all(p.stat().st_mode & 0o001 for p in (folder, *folder.parents))
    except OSError:
        return False


def _readable_by_all(root: Path) -> None:
    """Root owns the copy; the learner's user may read it but change nothing in it."""
    for path in tree(root):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
