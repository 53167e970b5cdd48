"""Watch mode: the exercise being edited is checked again on every save, through one warm
`grader.api.Session` (a re-check costs a fork of its sandbox, not a new process), and once it
passes the next exercise not passed is watched instead.

Saves are noticed with `watchfiles` (the `bpgrade[watch]` extra: inotify, FSEvents...) where
it is installed, else by polling the file a few times a second. The folder is watched, not
the file, so that editors that save by writing a new file and renaming it are seen too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from grader import progress
from grader.loop import Standing, saved_results

if TYPE_CHECKING:
    from grader.api import Session
    from grader.catalog import ExerciseEntry
    from grader.report import Report

POLL_SECONDS = 0.1  # the polling fallback's period: a save is seen within it
SETTLE_MS = 50  # watchfiles waits this long for a burst of writes (one save) to end
MOST_MS = 400  # and never longer than this after the first

# A source of saves: given a file, an endless iterator that yields once after each change.
Saves = Callable[[Path], Iterator[None]]


def _signature(path: Path) -> tuple[int, int, bytes] | None:
    try:
        info = path.stat()
        return info.st_mtime_ns, info.st_size, path.read_bytes()
    except OSError:
        return None


def polled_saves(path: Path) -> Iterator[None]:
    """Yield after each change of `path` (its time, size or bytes), seen by polling."""
    last = _signature(path)
    while True:
        time.sleep(POLL_SECONDS)
        now = _signature(path)
        if now != last:
            last = now
            yield None


def watched_saves(path: Path) -> Iterator[None]:
    """Yield after each change of `path`, from the system's file events with `watchfiles`;
    polling where it is not installed."""
    try:
        import watchfiles
    except ImportError:
        yield from polled_saves(path)
        return
    name = path.name
    for _ in watchfiles.watch(
        path.parent,
        watch_filter=lambda change, changed: Path(changed).name == name,
        debounce=MOST_MS,
        step=SETTLE_MS,
        recursive=False,
    ):
        yield None


@dataclass(frozen=True)
class Round:
    """One check of watch mode: the exercise, its report, and the exercise watched next
    when this one passed (None while it fails, or when every exercise has passed)."""

    entry: ExerciseEntry
    report: Report
    following: ExerciseEntry | None

    @property
    def passed(self) -> bool:
        return self.report.error is None and self.report.all_passed


def watch(
    session: Session,
    entry: ExerciseEntry,
    folder: Path,
    workspace: Path,
    saves: Saves = watched_saves,
) -> Iterator[Round]:
    """Check `entry` now and after each save of its file, recording each result in the
    workspace's progress; when it passes, go on to the next exercise not passed, checked
    at its first save. Ends when every exercise has passed; a stop (Ctrl-C) ends it too."""
    current: ExerciseEntry | None = entry
    first = True
    while current is not None:
        path = folder / current.file
        changes = saves(path)
        # what the file was when last checked; None: check it now, unseen
        checked = None if first else _signature(path)
        while True:
            if checked is not None and _signature(path) == checked:
                next(changes)  # a save, or an event about one already checked
                continue
            checked = _signature(path)
            report = session.check(current, folder=folder)
            if report.error is None:
                progress.record_report(workspace, folder, report)
            finished = report.error is None and report.all_passed
            standing = Standing(session.catalog, saved_results(workspace, folder))
            following = standing.following(current.name) if finished else None
            yield Round(current, report, following)
            if finished:
                break
        current, first = following, False
