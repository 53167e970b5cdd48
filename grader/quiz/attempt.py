"""An attempt in progress: the answers given so far, saved as they are given.

The interactive quiz saves the attempt after every answer to `.bpgrade/quiz-<id>.json`, beside
the progress file (`grader.progress`), so that Ctrl-C, Ctrl-D or a closed terminal costs
nothing: `bpgrade quiz NAME` offers to resume it. The file is described by `Attempt`, written
whole through a temporary file and renamed, so a stop while saving leaves the previous state,
never half a file. It is removed once the attempt is finished and recorded.

What is saved is the answers themselves, not their scores: resuming grades them again against
the quiz as it is, for the same variant (the seed is saved too, since a `--new-variant` seed
cannot be derived again). A quiz whose questions changed since the attempt began is not
resumed, as its saved answers may no longer mean what they meant; `digest` tells.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from grader.files import write_atomically
from grader.progress import STATE_FILE
from grader.quiz.answers import AnswerValue
from grader.quiz.models import Quiz

NEW_VARIANT_SEEDS = 10**9  # short enough to type back as --seed


def _now() -> datetime:
    return datetime.now(UTC)


class Attempt(BaseModel):
    """The file `.bpgrade/quiz-<quiz id>.json`: one stopped or running attempt of a quiz."""

    model_config = ConfigDict(extra="forbid")

    attempt: Literal[1] = 1  # the version of this file's format
    quiz: str = Field(description="The quiz id.")
    digest: str = Field(description="sha256 of the quiz as loaded, to notice a changed quiz.")
    seed: int = Field(description="The variant's seed: resuming shows the same numbers.")
    new_variant: bool = Field(False, description="Begun with --new-variant (a random seed).")
    started_at: datetime = Field(default_factory=_now)
    saved_at: datetime = Field(default_factory=_now)
    answers: dict[str, AnswerValue] = Field(
        default_factory=dict, description="Question id -> answer, in the order answered."
    )

    def answered(self, quiz: Quiz) -> int:
        return sum(question.id in self.answers for question in quiz.questions)


def quiz_digest(quiz: Quiz) -> str:
    return hashlib.sha256(quiz.model_dump_json().encode("utf-8")).hexdigest()


def attempt_path(workspace: Path, quiz_id: str) -> Path:
    # A quiz id is letters, digits, '-', '_' and '.', starting with a letter or digit
    # (models.Id), so it names a file in the folder and nothing outside it.
    return workspace / STATE_FILE.parent / f"quiz-{quiz_id}.json"


def load_attempt(workspace: Path, quiz_id: str) -> Attempt | None:
    """The saved attempt of the quiz, if any; a damaged file is no attempt, never a crash."""
    try:
        saved = Attempt.model_validate_json(attempt_path(workspace, quiz_id).read_bytes())
    except (OSError, ValidationError, ValueError):
        return None
    return saved if saved.quiz == quiz_id else None


def start_attempt(quiz: Quiz, seed: int, new_variant: bool = False) -> Attempt:
    return Attempt(quiz=quiz.id, digest=quiz_digest(quiz), seed=seed, new_variant=new_variant)


def new_variant_seed() -> int:
    """A seed for a retake with new numbers: random, as a retake should not be predictable
    from the user name the graded variant is drawn from."""
    return secrets.randbelow(NEW_VARIANT_SEEDS)


def resumable(saved: Attempt, quiz: Quiz) -> bool:
    """Whether the saved answers still belong to this quiz as it is now."""
    return saved.digest == quiz_digest(quiz)


def save_attempt(workspace: Path, attempt: Attempt) -> bool:
    """Write the attempt atomically; False where the workspace cannot be written (the quiz
    then goes on, unsaved, as a read-only folder must not stop a learner)."""
    path = attempt_path(workspace, attempt.quiz)
    attempt.saved_at = _now()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, attempt.model_dump_json(indent=2) + "\n", 0o600)
    except OSError:
        return False
    return True


def discard_attempt(workspace: Path, quiz_id: str) -> None:
    # In a read-only workspace the attempt was never saved either.
    with contextlib.suppress(OSError):
        attempt_path(workspace, quiz_id).unlink(missing_ok=True)
