"""Watch mode: the exercise being edited is checked again on every save, through one warm
`grader.api.Session` (a re-check costs a fork of its sandbox, not a new process), and once it
passes the next exercise not passed is watched instead.

Saves are noticed with `watchfiles` (the `bpgrade[watch]` extra: inotify, FSEvents...) where
it is installed, else by polling the file a few times a second. The folder is watched, not
the file, so that editors that save by writing a new file and renaming it are seen too.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Generator, Iterator
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
    """Yield after each change of `path` (its time, size or bytes), seen by polling; the
    file as it is now is the one to compare with, not as it is at the first `next`."""
    return _polled(path, _signature(path))


def _polled(path: Path, last: tuple[int, int, bytes] | None) -> Iterator[None]:
    while True:
        time.sleep(POLL_SECONDS)
        now = _signature(path)
        if now != last:
            last = now
            yield None


class FileEvents(Iterator[None]):
    """The saves of one file, from the system's file events (`watchfiles`), watched on a
    thread from the moment this is made: a save while a check runs is not missed. `close`
    stops the thread."""

    def __init__(self, path: Path) -> None:
        import watchfiles  # ImportError where the extra is not installed

        self._stop = threading.Event()
        self._saves: queue.Queue[None] = queue.Queue()
        name = path.name
        changes = watchfiles.watch(
            path.parent,
            watch_filter=lambda change, changed: Path(changed).name == name,
            debounce=MOST_MS,
            step=SETTLE_MS,
            stop_event=self._stop,
            raise_interrupt=False,
            recursive=False,
        )
        thread = threading.Thread(target=self._forward, args=(changes,), daemon=True)
        thread.start()

    def _forward(self, changes: Iterator[object]) -> None:
        for _ in changes:
            self._saves.put(None)

    def __next__(self) -> None:
        while True:  # in short waits, so that Ctrl-C is heard at once
            try:
                return self._saves.get(timeout=0.5)
            except queue.Empty:
                continue

    def close(self) -> None:
        self._stop.set()


def watched_saves(path: Path) -> Iterator[None]:
    """The saves of `path`, from the system's file events with `watchfiles`; by polling
    where it is not installed."""
    try:
        return FileEvents(path)
    except ImportError:
        return polled_saves(path)


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
    first = True  # the exercise asked for is checked at once; the next ones at a save
    while current is not None:
        path = folder / current.file
        changes = saves(path)  # watching starts before the check runs
        try:
            following = yield from _rounds(session, current, folder, workspace, changes, first)
        finally:
            getattr(changes, "close", lambda: None)()
        current, first = following, False


def _rounds(
    session: Session,
    entry: ExerciseEntry,
    folder: Path,
    workspace: Path,
    changes: Iterator[None],
    now: bool,
) -> Generator[Round, None, ExerciseEntry | None]:
    """Check `entry` (at once with `now`, else at its first save) and after each save, until
    it passes; returns the exercise to watch next."""
    path = folder / entry.file
    checked = None if now else _signature(path)  # the file as last checked; None: unseen
    while True:
        if checked is not None and _signature(path) == checked:
            next(changes)  # a save, or an event about one checked already
            continue
        checked = _signature(path)
        report = session.check(entry, folder=folder)
        if report.error is None:
            progress.record_report(workspace, folder, report)
        standing = Standing(session.catalog, saved_results(workspace, folder))
        round_ = Round(entry, report, None)
        if round_.passed:
            round_ = Round(entry, report, standing.following(entry.name))
        yield round_
        if round_.passed:
            return round_.following
