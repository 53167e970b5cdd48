"""Shared fixtures: the course as the grader sees it, and a way to grade a single file."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from grader.catalog import Catalog, ExerciseEntry, load_catalog
from grader.grading import DEFAULT_SEED, grade
from grader.report import ExerciseReport, Report
from grader.sandbox import Sandbox

# No test leaves a grading engine behind (grader/engine/): `bpgrade` runs in-process unless a
# test (tests/test_engine.py) asks for an engine of its own, in a folder of its own.
os.environ["BPGRADE_ENGINE"] = "0"

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
# a course of toy exercises graded through drivers and the torch runtime
TOY = ROOT / "tests" / "fixtures" / "toy_course"


_SANDBOX: Sandbox | None = None


def shared_sandbox() -> Sandbox:
    """One sandbox (one zygote) for the whole test session, as batch grading keeps one."""
    global _SANDBOX
    if _SANDBOX is None:
        _SANDBOX = Sandbox()
    return _SANDBOX


def pytest_sessionfinish() -> None:
    if _SANDBOX is not None:
        _SANDBOX.close()


def grade_folder(
    entries: list[ExerciseEntry],
    folder: Path,
    seed: int = DEFAULT_SEED,
    student: str | None = None,
) -> Report:
    return grade(entries, folder, SOLUTIONS, seed, sandbox=shared_sandbox(), student=student)


def grade_in(
    entry: ExerciseEntry, folder: Path, seed: int = DEFAULT_SEED, student: str | None = None
) -> ExerciseReport:
    """Grade the learner's file for `entry` in `folder`, in the shared sandbox."""
    return grade_folder([entry], folder, seed, student).exercises[0]


@pytest.fixture
def toy(monkeypatch: pytest.MonkeyPatch) -> Catalog:
    """The toy course's catalog, with the grader reading that course."""
    monkeypatch.setenv("BPGRADE_COURSE", str(TOY))
    return load_catalog(TOY / "exercises" / "catalog.toml")


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(EXERCISES / "catalog.toml")


def course_total(catalog: Catalog) -> float:
    """What the whole course is worth: every exercise's points, as the catalog gives them.
    Tests take totals from here, so that an exercise added to the catalog changes none."""
    return sum(entry.max_score for entry in catalog.exercises)


# Reports of single learner files graded in the shared sandbox this session, by exercise,
# the file's bytes, seed and student. A report is a function of those alone (the golden
# record's premise, which its slow test proves), and the corpus tests and the golden record
# grade the same files on the same runs: each is graded once.
GradedKey = tuple[str, str, int, str | None]
_GRADED: dict[GradedKey, ExerciseReport] = {}


def graded_key(entry: ExerciseEntry, source: Path, seed: int, student: str | None) -> GradedKey:
    return (entry.name, hashlib.sha256(source.read_bytes()).hexdigest(), seed, student)


def remember(key: GradedKey, grading: Callable[[], ExerciseReport]) -> ExerciseReport:
    """The report graded earlier this session under `key`, or `grading()`'s, kept."""
    if key not in _GRADED:
        _GRADED[key] = grading()
    return _GRADED[key]


def grade_file(
    entry: ExerciseEntry,
    source: Path,
    folder: Path,
    seed: int = DEFAULT_SEED,
    student: str | None = None,
) -> ExerciseReport:
    """Grade `source` as if it were the learner's file for `entry`, in a fresh folder."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, folder / entry.file)
    key = graded_key(entry, source, seed, student)
    return remember(key, lambda: grade_in(entry, folder, seed, student))


def failing(report: ExerciseReport) -> dict[str, str | None]:
    return {c.name: c.diagnosis for c in report.checks if not c.passed}


def on_a_terminal(
    command: list[str], cwd: Path, environment: dict[str, str], timeout: float = 300
) -> tuple[int, bytes]:
    """The exit status of `command` run with a pseudo-terminal as its stdout and stderr, and
    everything it wrote there."""
    import pty

    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            command, cwd=cwd, env=environment, stdout=follower, stderr=follower, timeout=timeout
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's last writer has gone
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    return done.returncode, b"".join(chunks)
