"""The learner's progress, remembered in the workspace between commands.

The workspace is the folder `grader.course.workspace_root` finds (the nearest one holding
`exercises/catalog.toml` or `.bpgrade/`, from the folder bpgrade runs in); the state is one
JSON file in it,
`.bpgrade/progress.json`, described by the `Progress` model. Exercise results are kept
per exercises folder, so `bpgrade check --dir solutions` never overwrites a learner's own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field, ValidationError

from grader.files import write_atomically

if TYPE_CHECKING:
    from grader.report import Report

STATE_FILE = Path(".bpgrade") / "progress.json"
STATE_MODE = 0o600  # the learner's own: nobody else reads it

Status = Literal["passed", "failed", "not_started", "error"]


def _now() -> datetime:
    return datetime.now(UTC)


class ExerciseProgress(BaseModel):
    status: Status
    score: float
    max_score: float
    checked_at: datetime = Field(default_factory=_now)
    # the checks that failed, in the report's order: `bpgrade hint` serves the first one first
    failing: list[str] = []


class QuizAttempt(BaseModel):
    score: float
    max_score: float
    finished_at: datetime = Field(default_factory=_now)


class Progress(BaseModel):
    # exercises folder (relative to the workspace when inside it) -> exercise name -> result
    exercises: dict[str, dict[str, ExerciseProgress]] = {}
    # exercise name -> how many hints have been revealed
    hints_shown: dict[str, int] = {}
    # exercise name -> the catalog's indices of the hints revealed, in the order they were
    # (targeted hints come in the order the failing checks ask for, not the catalog's)
    hints_revealed: dict[str, list[int]] = {}
    # quiz id -> the latest attempt
    quizzes: dict[str, QuizAttempt] = {}


def folder_key(workspace: Path, folder: Path) -> str:
    folder = folder.resolve()
    try:
        return folder.relative_to(workspace.resolve()).as_posix()
    except ValueError:
        return folder.as_posix()


def load(workspace: Path) -> Progress:
    """The saved progress; a missing or damaged file means a fresh start, never a crash."""
    try:
        return Progress.model_validate_json((workspace / STATE_FILE).read_bytes())
    except (OSError, ValidationError, ValueError):
        return Progress()


def save(workspace: Path, progress: Progress) -> bool:
    """Write atomically; return False where the workspace is read-only (progress is a nicety)."""
    try:
        write_atomically(workspace / STATE_FILE, progress.model_dump_json(indent=2), STATE_MODE)
    except OSError:
        return False
    return True


def record_quiz(workspace: Path, quiz_id: str, score: float, max_score: float) -> None:
    progress = load(workspace)
    progress.quizzes[quiz_id] = QuizAttempt(score=score, max_score=max_score)
    save(workspace, progress)


def record_report(workspace: Path, folder: Path, report: Report) -> None:
    progress = load(workspace)
    saved = progress.exercises.setdefault(folder_key(workspace, folder), {})
    for exercise in report.exercises:
        saved[exercise.name] = ExerciseProgress(
            status=exercise.status,
            score=exercise.score,
            max_score=exercise.max_score,
            failing=[c.name for c in exercise.checks if not c.passed]
            if exercise.status == "failed"
            else [],
        )
    save(workspace, progress)


def revealed_hints(progress: Progress, exercise: str) -> list[int]:
    """The catalog's indices of the hints revealed for `exercise`, in the order revealed; a
    file from before targeted hints counted them, which were the first ones in order."""
    if exercise in progress.hints_revealed:
        return list(progress.hints_revealed[exercise])
    return list(range(progress.hints_shown.get(exercise, 0)))


def reveal_hint(workspace: Path, exercise: str, order: list[int]) -> list[int]:
    """Reveal the first hint of `order` (the catalog's indices, the most useful first) not
    revealed yet; returns the indices revealed now, in the order they were."""
    progress = load(workspace)
    revealed = revealed_hints(progress, exercise)
    unseen = [index for index in order if index not in revealed]
    if unseen:
        revealed.append(unseen[0])
    progress.hints_revealed[exercise] = revealed
    progress.hints_shown[exercise] = len(revealed)
    save(workspace, progress)
    return revealed


def reset_hints(workspace: Path, exercise: str) -> None:
    progress = load(workspace)
    progress.hints_shown.pop(exercise, None)
    progress.hints_revealed.pop(exercise, None)
    save(workspace, progress)


def forget_exercise(workspace: Path, folder: Path, exercise: str) -> None:
    """Drop the saved result of `exercise` in `folder` (its file was put back to the stub)."""
    progress = load(workspace)
    saved = progress.exercises.get(folder_key(workspace, folder), {})
    if saved.pop(exercise, None) is not None:
        save(workspace, progress)
