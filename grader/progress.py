"""The learner's progress, remembered in the workspace between commands.

The workspace is the folder bpgrade runs in; the state is one JSON file in it,
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


class QuizAttempt(BaseModel):
    score: float
    max_score: float
    finished_at: datetime = Field(default_factory=_now)


class Progress(BaseModel):
    # exercises folder (relative to the workspace when inside it) -> exercise name -> result
    exercises: dict[str, dict[str, ExerciseProgress]] = {}
    # exercise name -> how many hints have been revealed
    hints_shown: dict[str, int] = {}
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
            status=exercise.status, score=exercise.score, max_score=exercise.max_score
        )
    save(workspace, progress)


def reveal_hint(workspace: Path, exercise: str, available: int) -> int:
    """One more hint revealed for `exercise`; returns how many are revealed now."""
    progress = load(workspace)
    shown = min(progress.hints_shown.get(exercise, 0) + 1, available)
    progress.hints_shown[exercise] = shown
    save(workspace, progress)
    return shown


def reset_hints(workspace: Path, exercise: str) -> None:
    progress = load(workspace)
    progress.hints_shown.pop(exercise, None)
    save(workspace, progress)
