"""The grade report: what `bpgrade check --json` prints and every other format is made from."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, SerializerFunctionWrapHandler, model_serializer

from grader.judge.diagnose import Diagnosis

if TYPE_CHECKING:
    from grader.catalog import ExerciseEntry

Status = Literal["passed", "failed", "not_started", "error"]
# Heads the layout notes (`Report.layout`) in the terminal and in every format.
LAYOUT_HEADING = "About your files:"
# when a platform shows a check to the student (Gradescope's words, which others map onto)
Visibility = Literal["visible", "hidden", "after_due_date", "after_published"]


class PlotData(BaseModel):
    """Numbers behind a picture of a check, for a notebook to plot: named series in order
    (`{"loss": [2.3, 1.9, ...]}`, a value per training step) and values per layer
    (`{"grad_norm": {"W1": 0.4, "W2": 0.1}}`, a quantity, then each layer's value)."""

    series: dict[str, list[float]] = {}
    layers: dict[str, dict[str, float]] = {}


class CheckReport(BaseModel):
    name: str
    title: str
    passed: bool
    score: float
    max_score: float
    message: str
    diagnosis: Diagnosis | None = None
    hidden: bool = False  # graded on the student's own hidden cases (--student-id)
    visibility: Visibility = "visible"
    data: PlotData | None = None  # left out of the JSON when there is none
    case: str | None = None  # the failing case, as `bpgrade check --case` takes it; or left out
    # what the learner's code printed during this check's calls, up to a cap; left out of
    # the JSON when it printed nothing
    output: str = ""

    @model_serializer(mode="wrap")
    def _without_empty_data(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """No `data` or `output` key where a check has none, so that reports keep the shape
        they had."""
        dumped: dict[str, Any] = handler(self)
        if self.data is None or not (self.data.series or self.data.layers):
            dumped.pop("data", None)
        if self.case is None:
            dumped.pop("case", None)
        if not self.output:
            dumped.pop("output", None)
        return dumped


class QuestionReport(BaseModel):
    id: str
    score: float
    max_score: float
    correct: bool


class QuizReport(BaseModel):
    """A quiz graded from an answers file; the same fields as `grader.quiz.grading.QuizReport`,
    kept here so that checking exercises never imports the quiz machinery."""

    quiz: str
    seed: int
    score: float
    max_score: float
    questions: list[QuestionReport]
    error: str | None = None  # why the answers handed in could not be graded


class ExerciseReport(BaseModel):
    name: str
    title: str
    file: str
    status: Status
    score: float
    max_score: float
    checks: list[CheckReport]
    error: str | None = None  # why the file could not be graded at all, or was stopped part way
    syntax_error: bool = False  # the error is that Python could not compile the file
    output: str = ""  # what the learner's code printed, up to a cap


class Report(BaseModel):
    score: float
    max_score: float
    exercises: list[ExerciseReport]
    quizzes: list[QuizReport] = []
    student: str | None = None
    # grading itself broke (not the learner's code): the score is not a grade
    error: str | None = None
    # protections the sandbox could not apply here, in words (not root, say)
    notes: list[str] = []
    # for the student, shown first: where the exercise files were found when not where the
    # course puts them (the folder graded, files graded under another name, what was ignored)
    layout: list[str] = []
    # exercise name -> the file graded for it, relative to the submission, where
    # `grader.layout` found it (`hw/exercise03_linear (1).py`); empty when not searched
    files: dict[str, str] = {}

    @property
    def all_passed(self) -> bool:
        exercises = all(e.status == "passed" for e in self.exercises)
        quizzes = all(q.score >= q.max_score for q in self.quizzes)
        return self.error is None and exercises and quizzes


def summarize(exercises: list[ExerciseReport], quizzes: list[QuizReport] | None = None) -> Report:
    quizzes = quizzes or []
    return Report(
        score=sum(e.score for e in exercises) + sum(q.score for q in quizzes),
        max_score=sum(e.max_score for e in exercises) + sum(q.max_score for q in quizzes),
        exercises=exercises,
        quizzes=quizzes,
    )


def not_a_grade(
    entries: Sequence[ExerciseEntry], reason: str, student: str | None, *, listed: bool = False
) -> Report:
    """A report that is not a grade: every exercise at 0 out of its points, and why (`error`).
    With `listed`, each exercise is listed too, status "error" with the same reason and no
    checks; otherwise the report lists none."""
    exercises = [
        ExerciseReport(
            name=entry.name,
            title=entry.title,
            file=entry.file,
            status="error",
            score=0.0,
            max_score=entry.max_score,
            checks=[],
            error=reason,
        )
        for entry in (entries if listed else [])
    ]
    report = summarize(exercises)
    report.max_score = sum(e.max_score for e in entries)
    report.error = reason
    report.student = student
    return report
