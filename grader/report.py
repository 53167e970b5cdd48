"""The grade report: what `bpgrade check --json` prints and every other format is made from."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from grader.judge.diagnose import Diagnosis

Status = Literal["passed", "failed", "not_started", "error"]


class CheckReport(BaseModel):
    name: str
    title: str
    passed: bool
    score: float
    max_score: float
    message: str
    diagnosis: Diagnosis | None = None


class ExerciseReport(BaseModel):
    name: str
    title: str
    file: str
    status: Status
    score: float
    max_score: float
    checks: list[CheckReport]
    error: str | None = None  # why the file could not be graded at all


class Report(BaseModel):
    score: float
    max_score: float
    exercises: list[ExerciseReport]

    @property
    def all_passed(self) -> bool:
        return all(exercise.status == "passed" for exercise in self.exercises)


def summarize(exercises: list[ExerciseReport]) -> Report:
    return Report(
        score=sum(e.score for e in exercises),
        max_score=sum(e.max_score for e in exercises),
        exercises=exercises,
    )
