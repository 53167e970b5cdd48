"""What a batch writes beside the gradebook, and reads back: where each file goes
(`Output`), the reports and digests of the students graded, and the gradebook rewritten as
they finish. Every file is written whole or not at all (a temporary file, then a rename); as
root, all of it is root's alone (see `grader.batch`). The reports written within a moment
share one sync of their folder (`Reports`), and the gradebook is rewritten every few
seconds, not with every student: a class of 50,000 paid two syncs a report and a whole CSV
a second."""

from __future__ import annotations

import contextlib
import os
import stat
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from grader.batch.outcomes import outcomes
from grader.files import sync_folder
from grader.formats import RESULTS_MODE, write_results
from grader.report import Report
from grader.sandbox import is_root

if TYPE_CHECKING:
    from grader.batch.plan import Plan, Submission

CSV_EVERY = 5.0  # seconds between rewrites of the CSV while grading
GROUP_SECONDS = 0.5  # reports written within this share one sync of their folder
PRIVATE_FOLDER = 0o700  # as root: what the batch writes is root's alone
PRIVATE_FILE = 0o600


@dataclass(frozen=True)
class Output:
    """Where the CSV and the reports go."""

    csv: Path

    @property
    def reports(self) -> Path:
        return self.csv.with_name(f"{self.csv.stem}-reports")

    @property
    def notes(self) -> Path:
        return self.csv.with_name(f"{self.csv.stem}-notes.csv")

    def report(self, student: str) -> Path:
        return self.reports / f"{student}.json"

    def markdown(self, student: str) -> Path:
        return self.reports / f"{student}.md"

    def digest(self, student: str) -> Path:
        return self.reports / f"{student}.sha256"


def stored_report(output: Output, student: str, key: str) -> Report | None:
    """The student's report, if it was graded from exactly this submission and settings."""
    try:
        if output.digest(student).read_text().strip() != key:
            return None
        return Report.model_validate_json(output.report(student).read_bytes())
    except (OSError, ValueError):
        return None


def outdate(output: Output, submissions: Sequence[Submission]) -> None:
    """Their stored reports are not what their submissions are graded from any more (the
    files changed, or `force`): without a digest, no run skips them on those reports."""
    for submission in submissions:
        output.digest(submission.student).unlink(missing_ok=True)


def private() -> bool:
    """Whether what the batch writes must be root's alone: it grades as root, so learner code
    runs as other users of the same machine."""
    return is_root()


@contextlib.contextmanager
def _umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def make_folders(output: Output) -> None:
    """The reports folder, and the CSV's folder if it is missing. As root, both are made
    0o700 (every folder made, through the umask, so never wider for a moment), and a reports
    folder or report left readable by an earlier run is closed."""
    if not private():
        output.reports.mkdir(parents=True, exist_ok=True)
        return
    with _umask(0o077):
        output.reports.mkdir(parents=True, exist_ok=True)
    _close(output.reports)


def _close(reports: Path) -> None:
    """The reports folder and what the batch wrote in it, root's alone (not links: the batch
    never makes one)."""
    if stat.S_IMODE(os.lstat(reports).st_mode) & 0o077:
        os.chmod(reports, PRIVATE_FOLDER)
    with os.scandir(reports) as entries:
        for entry in entries:
            if entry.is_file(follow_symlinks=False) and (
                stat.S_IMODE(entry.stat(follow_symlinks=False).st_mode) & 0o077
            ):
                os.chmod(entry.path, PRIVATE_FILE)


def write(path: Path, text: str, *, sync: bool = True) -> None:
    """`text` to `path`, whole or not at all; as root, 0o600 from the temporary file on.
    `sync` False: the caller syncs the folder (`sync_folder`) for many files at once."""
    write_results(path, text, mode=PRIVATE_FILE if private() else RESULTS_MODE, sync=sync)


class Reports:
    """Each student's report (JSON and Markdown) written as they finish, their folder synced
    once for all those written within GROUP_SECONDS. A student's digest, which tells a run
    again that the report is this submission's, is written only once the report is on disk
    for good: a crash of the machine loses a group's reports and digests (graded again), but
    never leaves a digest beside a report of before."""

    def __init__(self, output: Output) -> None:
        self.output = output
        self.waiting: list[tuple[str, str]] = []  # (student, digest) of reports not synced
        self.synced = time.monotonic()

    def add(self, student: str, key: str, report: str, markdown: str) -> None:
        write(self.output.report(student), report, sync=False)
        write(self.output.markdown(student), markdown, sync=False)
        self.waiting.append((student, key))
        if time.monotonic() - self.synced >= GROUP_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Sync the reports written, then write their digests and sync those."""
        if not self.waiting:
            return
        sync_folder(self.output.reports)
        while self.waiting:  # one at a time: a stop part way leaves the rest to write
            student, key = self.waiting.pop(0)
            write(self.output.digest(student), key + "\n", sync=False)
        sync_folder(self.output.reports)
        self.synced = time.monotonic()


class Sheet:
    """The gradebook (and its notes), rewritten as students finish, at most once every
    CSV_EVERY seconds."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.written = -float("inf")

    def write(self, reports: dict[str, Report], now: bool = False) -> None:
        if not now and time.monotonic() - self.written < CSV_EVERY:
            return
        plan, book = self.plan, self.plan.options.gradebook
        everyone = outcomes(reports, plan.rejected, [s.student for s in plan.todo])
        write(plan.output.csv, book.text(plan.entries, everyone))
        if book.has_notes:
            write(plan.output.notes, book.notes(everyone))
        self.written = time.monotonic()
