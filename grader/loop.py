"""The learner's loop as a library: where the learner stands, what to do next, a stub put
back, a workspace made. `bpgrade`, `bpgrade next`, `check` without a name, `reset`, `init`
and watch mode share it; nothing here prints or knows about click.

The workspace is `grader.course.workspace_root`: the nearest folder, from the working
directory up, holding `exercises/catalog.toml` or `.bpgrade/`. Progress, hints and quiz
answers live there, and the learner's files are its `exercises/` unless `--dir` says
otherwise (a `--dir` typed by the learner stays relative to where they typed it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from grader.course import workspace_root

if TYPE_CHECKING:
    from grader.catalog import Catalog, ExerciseEntry
    from grader.progress import ExerciseProgress

EXERCISES = "exercises"
# where a release keeps a pristine copy of each stub: its exercises/ are the learner's own
STUBS = Path("expected") / "stubs"
BACKUPS = Path(".bpgrade") / "backups"


def exercises_folder(folder: Path | None = None, workspace: Path | None = None) -> Path:
    """The folder of the learner's files: `folder` as given (relative to the working
    directory, as a learner typed it), else the workspace's `exercises/`."""
    if folder is not None:
        return folder
    workspace = workspace if workspace is not None else workspace_root()
    try:
        if workspace == Path.cwd().resolve():
            return Path(EXERCISES)  # as it always was: reports and annotations name it so
    except OSError:
        pass
    return workspace / EXERCISES


def saved_results(workspace: Path, folder: Path) -> dict[str, ExerciseProgress]:
    """The last results saved for the files in `folder`, by exercise name."""
    from grader import progress  # here: `bpgrade check NAME` reads no progress before grading

    return progress.load(workspace).exercises.get(progress.folder_key(workspace, folder), {})


@dataclass(frozen=True)
class Standing:
    """Where the learner is in the course, from the results saved in the workspace."""

    catalog: Catalog
    saved: dict[str, ExerciseProgress]

    def passed(self, name: str) -> bool:
        record = self.saved.get(name)
        return record is not None and record.status == "passed"

    @property
    def passed_count(self) -> int:
        return sum(self.passed(entry.name) for entry in self.catalog.exercises)

    @property
    def total(self) -> int:
        return len(self.catalog.exercises)

    @property
    def score(self) -> float:
        return sum(
            record.score
            for name, record in self.saved.items()
            if self.catalog.find(name) is not None
        )

    @property
    def max_score(self) -> float:
        return sum(entry.max_score for entry in self.catalog.exercises)

    @property
    def current(self) -> ExerciseEntry | None:
        """The exercise the learner is on: the first one not passed (None: all passed)."""
        return self.following(None)

    def following(self, after: str | None) -> ExerciseEntry | None:
        """The first exercise not passed after `after` in the course's order, else the first
        not passed before it; None when every exercise has passed."""
        entries = list(self.catalog.exercises)
        names = [entry.name for entry in entries]
        start = names.index(after) + 1 if after in names else 0
        for entry in entries[start:] + entries[:start]:
            if not self.passed(entry.name) and entry.name != after:
                return entry
        return None


def standing(catalog: Catalog, folder: Path | None = None) -> Standing:
    """The learner's standing in the workspace, for the files in `folder` (default: its
    exercises/)."""
    workspace = workspace_root()
    return Standing(catalog, saved_results(workspace, exercises_folder(folder, workspace)))


def shown_path(path: Path) -> str:
    """`path` as the learner would type it from where they are (relative when below)."""
    try:
        relative = os.path.relpath(path.absolute(), Path.cwd())
    except (OSError, ValueError):
        return str(path)
    return str(path) if relative.startswith("..") else relative


# --- a stub put back --------------------------------------------------------------------------


class NoStub(Exception):
    """No pristine copy of an exercise's stub was found. The message says so to the learner."""


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and a.samefile(b))
    except OSError:
        return False


def _from_git(course: Path, entry: ExerciseEntry) -> str | None:
    """The stub as the course's git history has it at HEAD (an instructor's checkout)."""
    try:
        shown = subprocess.run(
            ["git", "-C", str(course), "show", f"HEAD:./{EXERCISES}/{entry.file}"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return shown.stdout if shown.returncode == 0 else None


def kept_stub(course: Path, entry: ExerciseEntry, learner_file: Path) -> str | None:
    """The stub as the course keeps it on disk, found without starting anything: the course's
    own file where it is not the learner's (an installed course, a workspace made by
    `bpgrade init`), else the copy a release keeps in expected/stubs/; None where neither is.
    Raises OSError or UnicodeDecodeError where the one found cannot be read."""
    course_file = course / EXERCISES / entry.file
    if course_file.is_file() and not _same_file(course_file, learner_file):
        return course_file.read_text(encoding="utf-8")
    kept = course / STUBS / entry.file
    if kept.is_file():
        return kept.read_text(encoding="utf-8")
    return None


def pristine_stub(course: Path, entry: ExerciseEntry, learner_file: Path) -> str:
    """The stub the course hands out for `entry`: the one it keeps on disk (`kept_stub`); else
    the file at HEAD of the course's git history."""
    kept = kept_stub(course, entry, learner_file)
    if kept is not None:
        return kept
    from_git = _from_git(course, entry)
    if from_git is not None:
        return from_git
    raise NoStub(
        f"no untouched copy of {entry.file} was found: the course's file is your own, and "
        "neither a release's expected/stubs/ nor git history has another."
    )


def backup_path(workspace: Path, entry: ExerciseEntry, now: datetime | None = None) -> Path:
    """Where a file about to be reset is kept: `.bpgrade/backups/exercise03_linear.<time>.py`."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    return workspace / BACKUPS / f"{entry.stem}.{stamp}.py"


def reset_exercise(
    course: Path, entry: ExerciseEntry, folder: Path, workspace: Path
) -> Path | None:
    """Put the stub back in place of the learner's file, keeping theirs as a backup first;
    returns the backup (None where there was no file to keep). NoStub when none is found."""
    target = folder / entry.file
    stub = pristine_stub(course, entry, target)
    backup = None
    if target.is_file():
        backup = backup_path(workspace, entry)
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(target, backup)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(stub, encoding="utf-8")
    return backup


# --- a workspace made -------------------------------------------------------------------------


class NotEmpty(Exception):
    """`bpgrade init` was pointed at a folder that holds files already."""


def init_workspace(course: Path, target: Path) -> list[Path]:
    """Create `target` as a learner's workspace: `exercises/` with the course's stubs, its
    catalog and its data files, and never the reference solutions (they are not under
    exercises/). Refuses a folder that is not empty; returns the files written, relative."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise NotEmpty(f"{target} is not empty: bpgrade init writes into a new or empty folder.")
    from grader.bundles.source import tree_files

    source = course / EXERCISES
    written: list[Path] = []
    for relative in tree_files(source, links=False):  # no caches, dotfiles or links
        destination = target / EXERCISES / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / relative, destination)
        written.append(Path(EXERCISES) / relative)
    return written

