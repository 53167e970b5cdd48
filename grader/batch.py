"""Batch grading: a folder with one sub-folder per student, into one CSV and one report each.

    plan = prepare(Path("submissions"), Path("grades.csv"), BatchOptions(jobs=4))
    result = run(plan)

The folder name is the student's id. By default it also seeds that student's own hidden cases
(`BatchOptions.hidden`), so each student is graded on the public cases and on cases nobody
else gets. The exercise files are found as `grader.layout` says (the top of a student's folder,
`exercises/`, a folder deeper, a near-miss name), and the report says where.

What is written, beside the CSV:

    grades.csv                   the gradebook (`grader.gradebook`): by default student, one
                                 column per exercise, total, status, note; or the CSV that
                                 Canvas or Moodle imports. A row for every folder, the
                                 rejected ones included, sorted by folder; a graded one's
                                 note says in a few words where its files were found when
                                 not where the course puts them (`files_note`)
    grades-notes.csv             with a Canvas or Moodle gradebook: each folder's status and
                                 why (an import has no column for it)
    grades-reports/ID.json       the student's full report (`grader.report.Report`)
    grades-reports/ID.md         the same report as Markdown, for a person
    grades-reports/ID.sha256     what that report was graded from: the submission's files and
                                 the grading settings, hashed; an unchanged one is skipped.
                                 Removed as a run starts to grade the student again, until
                                 the new report is written: a stopped run (--force or not)
                                 leaves them to grade, and the gradebook says not graded yet

Every file is written whole or not at all (a temporary file, then a rename), the CSV after
each finished student (at most once a second) and at the end, so an interrupted run leaves a
valid CSV and picks up where it stopped. A stop (Ctrl-C) comes out of `run` as `Interrupted`,
which says what was graded.

As root (a shared grading machine, where learner code runs as other users), all of it is
root's alone: the reports folder, and any folder made for the CSV, 0o700 from the moment it is
made; the CSV, the notes, each report and digest 0o600, from their temporary file on. A
reports folder left readable by an earlier run is closed too. Not as root, the files are the
instructor's own, with the modes of any results file (0o644, folders as the umask says).

Trusted worker processes grade in parallel, each keeping one sandbox (one zygote) for its
life, so a submission costs a few forks, not an interpreter and a NumPy import. Learner code
runs only in the sandboxes' children. One submission never changes another's grade:

- a worker that dies is replaced and the submission it held graded again; a submission that
  takes its worker down twice gets an error report (score 0), and the batch goes on;
- a submission graded with an error (a crash, a timeout, an exhausted limit) while others were
  being graded beside it is graded once more on its own, and that grade is kept: learner code
  that disturbed the processes around it (signalling them, hogging the machine) cannot have
  cost another student points. An exercise whose file the submission lacks is no such error:
  no code of the student's ran for it, so nothing beside it could have changed its grade.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Collection, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path, PurePosixPath
from typing import Any, Generic, TypeVar

from grader import __version__
from grader.batch_progress import BatchProgress, remaining_seconds
from grader.catalog import ExerciseEntry, load_catalog
from grader.course import catalog_path, solutions_dir
from grader.formats import RESULTS_MODE, markdown, write_results
from grader.gradebook import Gradebook, Outcome
from grader.grading import DEFAULT_SEED
from grader.layout import NESTED, TOP, locate, shown
from grader.report import ExerciseReport, Report, summarize
from grader.sandbox import THREADS, Limits, Sandbox, is_root, protect, submission_files
from grader.submission import grade_located

# a student id becomes a file name: letters, digits and a few safe signs, no leading sign
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")
ATTEMPTS = 2  # a submission whose worker dies this many times is not graded
CSV_EVERY = 1.0  # seconds between rewrites of the CSV while grading
PRIVATE_FOLDER = 0o700  # as root: what the batch writes is root's alone
PRIVATE_FILE = 0o600
NOT_A_FOLDER = "a file, not a folder: put each student's files in a folder named by their id"
NOT_YET = "run the same command again to grade it"
ALONE = (
    "Graded a second time on its own, with no other submission beside it, to confirm an "
    "error seen while others were being graded; this is that grade."
)

T = TypeVar("T")


class BatchError(Exception):
    """The batch could not run (its workers could not start, say)."""


class NoSubmissions(BatchError):
    """The folder given holds no student folders."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped the batch. What was graded before is written (reports, gradebook) and
    is skipped when the same batch runs again: `saved` names those students (the skipped
    ones too), out of `total`; `result` is what this run had finished. The others are in the
    gradebook as not graded yet, and the same batch grades them, without `force` too."""

    def __init__(self, result: BatchResult, saved: list[str], total: int) -> None:
        super().__init__()
        self.result, self.saved, self.total = result, saved, total


@dataclass(frozen=True)
class BatchOptions:
    jobs: int | None = None  # worker processes; None: one per CPU
    seed: int = DEFAULT_SEED  # the public cases
    hidden: bool = True  # each student also gets their own cases, seeded by their id
    force: bool = False  # grade again even what is graded already
    limits: Limits = field(default_factory=Limits)
    # how the grades are written: no part of a grade, so a change grades no one again
    gradebook: Gradebook = field(default_factory=Gradebook)


@dataclass(frozen=True)
class Submission:
    student: str
    folder: Path  # the student's folder
    key: str  # digest of the files and of the settings


@dataclass(frozen=True)
class Rejected:
    name: str  # the folder's name, printable
    reason: str


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


@dataclass
class Plan:
    """What a run will do: decided before any grading, so a caller can show it first."""

    output: Output
    options: BatchOptions
    entries: list[ExerciseEntry]
    catalog: Path
    solutions: Path
    todo: list[Submission]
    skipped: dict[str, Report]  # graded already, with their stored reports
    rejected: list[Rejected]

    @property
    def students(self) -> list[str]:
        return sorted([*self.skipped, *(s.student for s in self.todo)])


@dataclass
class BatchResult:
    output: Output
    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # not graded: their report says why
    confirmed: list[str] = field(default_factory=list)  # graded again on their own
    rejected: list[Rejected] = field(default_factory=list)
    reports: dict[str, Report] = field(default_factory=dict)  # every student's, skipped too


# -- finding the submissions ------------------------------------------------------------------


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


def files_digest(folder: Path) -> str:
    """The files the sandbox would copy from `folder`, names and contents."""
    digest = hashlib.sha256()
    for path, relative in submission_files(folder):
        try:
            content = path.read_bytes()
        except OSError:
            content = b"\0unreadable"
        digest.update(f"{relative.as_posix()}\0{len(content)}\0".encode("utf-8", "surrogateescape"))
        digest.update(content)
    return digest.hexdigest()


def settings_digest(options: BatchOptions, catalog: Path, solutions: Path) -> str:
    """What besides the files decides a grade: a change here grades everyone again."""
    settings = {
        "bpgrade": __version__,
        "seed": options.seed,
        "hidden": options.hidden,
        "timeout": options.limits.timeout,
        "memory": options.limits.memory,
        "output": options.limits.output,
        "catalog": hashlib.sha256(catalog.read_bytes()).hexdigest(),
        "solutions": files_digest(solutions),
    }
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


def _stored(output: Output, student: str, key: str) -> Report | None:
    """The student's report, if it was graded from exactly this submission and settings."""
    try:
        if output.digest(student).read_text().strip() != key:
            return None
        return Report.model_validate_json(output.report(student).read_bytes())
    except (OSError, ValueError):
        return None


def prepare(submissions: Path, csv_path: Path, options: BatchOptions | None = None) -> Plan:
    """Find the students, and which of them are graded already."""
    options = options or BatchOptions()
    catalog = catalog_path()
    entries = list(load_catalog(catalog).exercises)
    output = Output(csv_path)
    folders, rejected = discover(submissions, exclude=(output.reports, output.csv, output.notes))
    if not folders:
        loose = [e.file for e in entries if (submissions / e.file).is_file()]
        if loose:
            raise NoSubmissions(
                f"{submissions} holds exercise files itself ({loose[0]}...): it looks like one "
                "submission. Point at the folder that holds one sub-folder per student."
            )
        if all(r.reason == NOT_A_FOLDER for r in rejected):
            raise NoSubmissions(f"there are no student folders in {submissions}")
    solutions = solutions_dir()
    settings = settings_digest(options, catalog, solutions)
    todo: list[Submission] = []
    skipped: dict[str, Report] = {}
    for folder in folders:
        key = hashlib.sha256(f"{settings}\0{files_digest(folder)}".encode()).hexdigest()
        stored = None if options.force else _stored(output, folder.name, key)
        if stored is not None:
            skipped[folder.name] = stored
        else:
            todo.append(Submission(folder.name, folder, key))
    return Plan(output, options, entries, catalog, solutions, todo, skipped, rejected)


# -- writing ------------------------------------------------------------------------------------


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


def write(path: Path, text: str) -> None:
    """`text` to `path`, whole or not at all; as root, 0o600 from the temporary file on."""
    write_results(path, text, mode=PRIVATE_FILE if private() else RESULTS_MODE)


def files_note(report: Report) -> str:
    """Where the student's exercise files were found, in a few words for the gradebook's note,
    when not where the course puts them: none at all, a folder further down, a file graded
    under another name; what else the report's layout notes say, by their first sentence
    ("exercise files were found in more than one place"). "" for files where they belong,
    and for a report that is no grade (its error says why)."""
    if report.error is not None:
        return ""
    files = {name: PurePosixPath(path) for name, path in report.files.items()}
    if not files and not report.layout:
        # no file found where the layout says: nothing ran, so every exercise has its why
        nothing = report.exercises and all(e.error is not None for e in report.exercises)
        return "no exercise file found" if nothing else ""
    rest = list(report.layout)  # locate's notes: the deeper folder's first, then the others
    folder = next(iter(files.values())).parent if files else None  # the one folder graded
    deeper = folder is not None and folder not in (TOP, PurePosixPath(NESTED))
    if deeper:
        rest = rest[1:]
    expected = {e.name: e.file for e in report.exercises}
    renamed = []
    for name, path in files.items():
        if name in expected and path.name != expected[name]:
            renamed.append(f"graded {shown(path)} as {expected[name]}")
            rest = [note for note in rest if shown(path) not in note]
    parts = []
    if folder is not None and (deeper or rest):  # elsewhere too: say which was graded
        parts.append(
            "graded from the top" if folder == TOP else f"graded from {shown(folder, True)}"
        )
    parts += renamed + [_first_sentence(note) for note in rest]
    return "; ".join(part for part in parts if part)


def _first_sentence(note: str) -> str:
    """A note's first sentence or clause, up to '. ' or ': ' outside a `name`, lower case."""
    quoted = False
    for index, char in enumerate(note):
        quoted ^= char == "`"
        if not quoted and char in ".:" and note[index + 1 : index + 2] in (" ", ""):
            note = note[:index]
            break
    return note[:1].lower() + note[1:]


def outcomes(
    reports: dict[str, Report], rejected: Sequence[Rejected], pending: Collection[str] = ()
) -> list[Outcome]:
    """Every folder of the class, graded or not, as the gradebook lists them; `pending`, the
    students to grade, those without a report of this run as not graded yet. A graded
    folder's note says where its files were found (`files_note`), and that it was graded a
    second time on its own."""
    graded = [
        Outcome(
            student,
            report,
            "; ".join(
                note
                for note in (files_note(report), ALONE if ALONE in report.notes else "")
                if note
            ),
        )
        for student, report in reports.items()
    ]
    waiting = [Outcome(s, None, NOT_YET, pending=True) for s in pending if s not in reports]
    return [*graded, *waiting, *(Outcome(r.name, None, r.reason) for r in rejected)]


class _Sheet:
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


def error_report(entries: list[ExerciseEntry], student: str, message: str) -> Report:
    """A submission that could not be graded: zero for every exercise, and why."""
    exercises = [
        ExerciseReport(
            name=entry.name,
            title=entry.title,
            file=entry.file,
            status="error",
            score=0.0,
            max_score=entry.max_score,
            checks=[],
            error=message,
        )
        for entry in entries
    ]
    report = summarize(exercises)
    report.student = student
    report.error = message
    return report


# -- the workers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Broken:
    """A task whose worker died each time it was tried."""

    exit_codes: list[int | None]

    def describe(self) -> str:
        how = []
        for code in self.exit_codes:
            if code is not None and code < 0 and -code in signal.Signals._value2member_map_:
                how.append(f"killed by {signal.Signals(-code).name}")
            else:
                how.append(f"exit status {code}")
        return ", ".join(how)


@dataclass(frozen=True)
class Failed:
    """The work function raised: a fault of the grader, with its traceback."""

    error: str


class WorkerPool(Generic[T]):
    """N trusted worker processes; each runs `setup(config)` once and `work(state, task)` per
    task. A worker that dies is replaced; its task is tried again, up to `attempts` times.

    Workers are fresh interpreters (not forks of a process that may have NumPy's threads
    running), started with `python -c`, so nothing of the caller's main script runs in them;
    `setup`, `work`, `config` and the tasks travel pickled, so the functions must be
    module-level ones, importable with the caller's `sys.path`.
    """

    def __init__(
        self,
        jobs: int,
        setup: Callable[[Any], Any],
        work: Callable[[Any, T], Any],
        config: Any,
        *,
        attempts: int = ATTEMPTS,
        deadline: float | None = None,  # seconds a task may take before its worker is killed
    ) -> None:
        self.jobs, self.setup, self.work, self.config = max(1, jobs), setup, work, config
        self.attempts, self.deadline = attempts, deadline
        self.durations: list[float] = []  # seconds each finished task took in its worker
        self._workers: list[_Worker] = []

    def running(self) -> list[float]:
        """Seconds each task being worked on has had so far."""
        now = time.monotonic()
        return [now - w.started for w in self._workers if w.task is not None]

    def run(self, tasks: Sequence[T]) -> Generator[tuple[T, Any], None, None]:
        """Each task with what `work` returned, a `Failed`, or a `Broken`, as they finish."""
        pending = deque(range(len(tasks)))
        deaths: dict[int, list[int | None]] = {}
        remaining = len(tasks)
        workers: list[_Worker] = []
        self._workers = workers
        startup_deaths = 0
        finished = False
        try:
            while remaining:
                while len(workers) < min(self.jobs, remaining):
                    workers.append(_Worker(self))
                for worker in workers:
                    if worker.ready and worker.task is None and pending:
                        worker.give(pending.popleft(), tasks)
                wait([w.inbox for w in workers], self._timeout(workers))
                for worker in list(workers):
                    try:
                        for index, outcome in worker.receive():
                            remaining -= 1
                            self.durations.append(time.monotonic() - worker.started)
                            yield tasks[index], outcome
                        dead = worker.overdue(self.deadline)
                    except (EOFError, OSError):
                        dead = True  # its end of the pipe closed: it is gone
                    if not dead:
                        continue
                    workers.remove(worker)
                    code = worker.stop()
                    if not worker.ready:
                        startup_deaths += 1
                        if startup_deaths > self.jobs + 2:
                            raise BatchError(
                                f"the grading workers keep dying as they start (exit status "
                                f"{code}); see the errors above"
                            )
                    if worker.task is None:
                        continue
                    index = worker.task
                    deaths.setdefault(index, []).append(code)
                    if len(deaths[index]) >= self.attempts:
                        remaining -= 1
                        yield tasks[index], Broken(deaths[index])
                    else:
                        pending.appendleft(index)
            finished = True
        finally:
            for worker in workers:
                worker.stop(politely=finished)

    def _timeout(self, workers: list[_Worker]) -> float | None:
        if self.deadline is None:
            return None
        busy = [w.started + self.deadline for w in workers if w.task is not None]
        return max(0.0, min(busy) - time.monotonic()) + 0.01 if busy else None


# A worker's first message is the caller's sys.path (plain strings), so that it can import
# the functions that come next.
_BOOT = (
    "import sys\n"
    "from multiprocessing.connection import Connection\n"
    "inbox = Connection(int(sys.argv[1]), writable=False)\n"
    "sys.path[:] = inbox.recv()\n"
    "from grader.batch import _serve\n"
    "_serve(inbox, Connection(int(sys.argv[2]), readable=False))\n"
)


class _Worker:
    def __init__(self, pool: WorkerPool[Any]) -> None:
        their_inbox, our_outbox = os.pipe()
        our_inbox, their_outbox = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _BOOT, str(their_inbox), str(their_outbox)],
                pass_fds=(their_inbox, their_outbox),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,  # the batch's own output stays its own
                # a group of its own: a terminal's Ctrl-C reaches the batch, which stops the
                # workers itself, and no worker dies of it mid-import with a traceback
                process_group=0,
                env={**os.environ, **THREADS},  # one BLAS thread each: N workers for N CPUs
            )
        except BaseException:
            for fd in (our_inbox, our_outbox):
                os.close(fd)
            raise
        finally:
            # only the worker holds its ends now: when it ends, our inbox reads end-of-file
            os.close(their_inbox)
            os.close(their_outbox)
        self.inbox = Connection(our_inbox, writable=False)
        self.outbox = Connection(our_outbox, readable=False)
        self.outbox.send(list(sys.path))
        self.outbox.send((pool.setup, pool.work, pool.config))
        self.ready = False
        self.task: int | None = None
        self.started = 0.0

    def give(self, index: int, tasks: Sequence[Any]) -> None:
        self.task, self.started = index, time.monotonic()
        self.outbox.send(tasks[index])

    def receive(self) -> Iterator[tuple[int, Any]]:
        while self.inbox.poll():
            kind, payload = self.inbox.recv()
            if kind == "ready":
                self.ready = True
            elif kind == "setup_failed":
                raise BatchError(f"a grading worker could not start: {payload}")
            else:
                index, self.task = self.task, None
                assert index is not None
                yield index, payload if kind == "done" else Failed(payload)

    def overdue(self, deadline: float | None) -> bool:
        return (
            deadline is not None
            and self.task is not None
            and time.monotonic() - self.started > deadline
        )

    def stop(self, politely: bool = False) -> int | None:
        """Let it close its sandbox and exit, or end it now; its exit status."""
        if politely:
            with contextlib.suppress(OSError):
                self.outbox.send(None)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10 if politely else 0.05)
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: it closes its sandbox and exits
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(5)
        if self.process.poll() is None:
            self.process.kill()
        code = self.process.wait()
        self.inbox.close()
        self.outbox.close()
        return code


def _terminated(number: int, frame: object) -> None:
    raise SystemExit(0)


def _serve(inbox: Connection, outbox: Connection) -> None:
    """A worker's life: set up, then one task at a time until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the batch, which stops us
    signal.signal(signal.SIGTERM, _terminated)
    state = None
    try:
        try:
            setup, work, config = inbox.recv()
            state = setup(config)
        except Exception as error:
            outbox.send(("setup_failed", f"{type(error).__name__}: {error}"))
            return
        outbox.send(("ready", None))
        while True:
            try:
                task = inbox.recv()
            except EOFError:
                return  # the batch is gone
            if task is None:
                return
            try:
                outbox.send(("done", work(state, task)))
            except Exception:
                outbox.send(("failed", traceback.format_exc()))
    finally:
        close = getattr(state, "close", None)
        if close is not None:
            close()


# -- grading in a worker ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Config:
    catalog: Path
    solutions: Path
    seed: int
    hidden: bool
    limits: Limits
    # what learner code must not reach: a few classmates' folders, the gradebook, the reports
    private: tuple[Path, ...] = ()


@dataclass
class _Grader:
    """A worker's grading state: the catalog and one sandbox."""

    config: _Config
    entries: list[ExerciseEntry]
    sandbox: Sandbox

    def close(self) -> None:
        self.sandbox.close()


@dataclass(frozen=True)
class _Graded:
    """What a worker sends back for one submission: its report, as JSON, and the exercises
    graded without running any of the student's code, their file not found."""

    report: str
    missing: frozenset[str] = frozenset()


def _setup(config: _Config) -> _Grader:
    entries = list(load_catalog(config.catalog).exercises)
    sandbox = Sandbox(config.limits)
    # as root: the course's answers locked away from learner code, and proved so
    protect(sandbox, config.solutions.parent, [], private=list(config.private))
    return _Grader(config, entries, sandbox)


def _grade(state: _Grader, submission: Submission) -> _Graded:
    """One submission's report, and which of its exercises had no file to run."""
    config = state.config
    # the files grade_located will not find (it does not say which), looked for here, in
    # the worker, so that the batch never reads a student's folder again after grading
    missing = locate(submission.folder, state.entries).missing
    report = grade_located(
        state.entries,
        submission.folder,
        config.solutions,
        config.seed,
        sandbox=state.sandbox,
        student=submission.student if config.hidden else None,
    ).graded
    report.student = submission.student
    # missing when graded too: reported with just why (one that appeared in between ran)
    not_run = {e.name for e in report.exercises if e.error and e.error == missing.get(e.name)}
    return _Graded(report.model_dump_json(indent=2), frozenset(not_run))


def _deadline(plan: Plan) -> float:
    """Far beyond what the sandbox allows a submission: only a stuck worker reaches it."""
    return len(plan.entries) * (plan.options.limits.timeout + 40.0) + 60.0


def cpu_count() -> int:
    if hasattr(os, "process_cpu_count"):
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


# -- the run ------------------------------------------------------------------------------------


def _report_of(outcome: Any, submission: Submission, entries: list[ExerciseEntry]) -> Report:
    if isinstance(outcome, Broken):
        return error_report(
            entries,
            submission.student,
            f"Not graded: the process grading this submission died each time it tried "
            f"({outcome.describe()}). Learner code can do that by signalling the grader's "
            "processes when the grader does not run as root.",
        )
    if isinstance(outcome, Failed):
        last = outcome.error.strip().splitlines()[-1]
        return error_report(
            entries, submission.student, f"Not graded: the grader failed on it ({last})."
        )
    return Report.model_validate_json(outcome.report)


def _not_run(outcome: Any) -> frozenset[str]:
    """The exercises the worker graded without running any of the student's code."""
    return outcome.missing if isinstance(outcome, _Graded) else frozenset()


def _suspect(report: Report, not_run: Collection[str]) -> bool:
    """A grade that another submission graded at the same time could have caused: an
    exercise that could not be graded, or whose code was stopped part way (a timeout on a
    busy machine, a process killed by a neighbour). Not an exercise whose file is missing
    (`not_run`, as the worker found it): none of the student's code ran for it, so it
    scores the same alone, and grading it again only added a note about a confirmation it
    did not need."""
    return report.error is not None or any(
        (e.status == "error" or e.error is not None) and e.name not in not_run
        for e in report.exercises
    )


def run(plan: Plan, progress: Callable[[BatchProgress], None] | None = None) -> BatchResult:
    """Grade what the plan says, writing each report as it comes and the gradebook as it
    goes. `progress` hears of each submission finished, with an estimate of the time left.
    A Ctrl-C comes out as `Interrupted`, after what was graded is written.

    Until a student of `plan.todo` is graded, the gradebook has them as not graded yet, and
    their digest is gone: a run stopped before their new report grades them again, `force`
    or not, instead of skipping them on the report from before."""
    output, options = plan.output, plan.options
    make_folders(output)
    reports = dict(plan.skipped)
    result = BatchResult(output, skipped=sorted(plan.skipped), rejected=list(plan.rejected))
    result.reports = reports
    sheet = _Sheet(plan)
    private = (*(s.folder for s in plan.todo[:3]), output.csv, output.reports)
    config = _Config(
        plan.catalog, plan.solutions, options.seed, options.hidden, options.limits, private
    )
    jobs = min(options.jobs or cpu_count(), len(plan.todo))
    pools: list[WorkerPool[Submission]] = []
    finished = 0

    def eta() -> float | None:
        pool = pools[-1]
        durations = [d for p in pools for d in p.durations]
        running = pool.running()
        queued = len(plan.todo) - finished - len(running)
        return remaining_seconds(durations, max(0, queued), running, pool.jobs)

    def finish(submission: Submission, report: Report) -> None:
        nonlocal finished
        write(output.report(submission.student), report.model_dump_json(indent=2))
        write(output.markdown(submission.student), markdown.render(report))
        write(output.digest(submission.student), submission.key + "\n")
        saved(submission.student, report)
        sheet.write(reports)
        finished += 1
        if progress is not None:
            state = "error" if report.error is not None else "graded"
            progress(BatchProgress(submission.student, state, finished, len(plan.todo), eta()))

    def saved(student: str, report: Report) -> None:
        (result.errors if report.error is not None else result.graded).append(student)
        reports[student] = report

    suspects: list[Submission] = []
    outdated = False
    try:
        for student, report in plan.skipped.items():
            if not output.markdown(student).exists():  # graded before reports had one
                write(output.markdown(student), markdown.render(report))
        _outdate(output, plan.todo)
        outdated = True
        sheet.write(reports, now=True)
        pools.append(WorkerPool(jobs, _setup, _grade, config, deadline=_deadline(plan)))
        with contextlib.closing(pools[-1].run(plan.todo)) as finished_tasks:
            for submission, outcome in finished_tasks:
                report = _report_of(outcome, submission, plan.entries)
                if jobs > 1 and _suspect(report, _not_run(outcome)):
                    suspects.append(submission)
                else:
                    finish(submission, report)
        pools.append(WorkerPool(1, _setup, _grade, config, deadline=_deadline(plan)))
        with contextlib.closing(pools[-1].run(suspects)) as finished_tasks:
            for submission, outcome in finished_tasks:
                report = _report_of(outcome, submission, plan.entries)
                report.notes.append(ALONE)
                result.confirmed.append(submission.student)
                finish(submission, report)
    except KeyboardInterrupt:
        if not outdated:  # stopped before every digest was gone: none was graded yet
            _outdate(output, plan.todo)
        for submission in plan.todo:
            # its digest written, the stop came before the rest: saved, as a run again sees
            stored = None
            if submission.student not in reports:
                stored = _stored(output, submission.student, submission.key)
            if stored is not None:
                saved(submission.student, stored)
        done = [s.student for s in plan.todo if s.student in reports]
        total = len(plan.todo) + len(plan.skipped)
        raise Interrupted(_sorted(result), sorted([*plan.skipped, *done]), total) from None
    finally:
        sheet.write(reports, now=True)  # interrupted too: the CSV has every report written
    return _sorted(result)


def _outdate(output: Output, submissions: Sequence[Submission]) -> None:
    """Their stored reports are not what their submissions are graded from any more (the
    files changed, or `force`): without a digest, no run skips them on those reports."""
    for submission in submissions:
        output.digest(submission.student).unlink(missing_ok=True)


def _sorted(result: BatchResult) -> BatchResult:
    for names in (result.graded, result.errors, result.confirmed):
        names.sort()
    return result


def grade_batch(
    submissions: Path,
    csv_path: Path,
    options: BatchOptions | None = None,
    progress: Callable[[BatchProgress], None] | None = None,
) -> BatchResult:
    return run(prepare(submissions, csv_path, options), progress)
