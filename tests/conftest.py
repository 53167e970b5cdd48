"""Shared fixtures: the course as the grader sees it, and a way to grade a single file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.catalog import Catalog, ExerciseEntry, load_catalog
from grader.grading import DEFAULT_SEED, grade_exercise
from grader.report import ExerciseReport

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(EXERCISES / "catalog.toml")


def grade_file(
    entry: ExerciseEntry, source: Path, folder: Path, seed: int = DEFAULT_SEED
) -> ExerciseReport:
    """Grade `source` as if it were the learner's file for `entry`, in a fresh folder."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, folder / entry.file)
    return grade_exercise(entry, folder, SOLUTIONS, seed)


def failing(report: ExerciseReport) -> dict[str, str | None]:
    return {c.name: c.diagnosis for c in report.checks if not c.passed}
