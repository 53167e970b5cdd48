"""What a run will do, decided before any grading: the students to grade, those graded
already (their stored report was graded from the same files and settings), the folders
rejected. A submission's key is a digest of its files and of the grading settings."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from grader import __version__
from grader.batch.discovery import NOT_A_FOLDER, Rejected, discover
from grader.batch.errors import NoSubmissions
from grader.batch.store import Output, stored_report
from grader.catalog import ExerciseEntry, load_catalog
from grader.course import catalog_path, solutions_dir
from grader.gradebook import Gradebook
from grader.grading import DEFAULT_SEED
from grader.report import Report
from grader.sandbox import Limits, submission_files


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
        stored = None if options.force else stored_report(output, folder.name, key)
        if stored is not None:
            skipped[folder.name] = stored
        else:
            todo.append(Submission(folder.name, folder, key))
    return Plan(output, options, entries, catalog, solutions, todo, skipped, rejected)
