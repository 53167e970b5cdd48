"""Gradescope's autograder results: the `results.json` that `run_autograder` must leave in
`/autograder/results/`.

The schema, from Gradescope's "Autograder Specifications" (gradescope-autograders.readthedocs.io,
"Output format"): a top-level `score` (overrides the sum of the tests), `execution_time`
(seconds), `output` with its `output_format`, `test_output_format` and `test_name_format`
(`text`, `html`, `simple_format`, `md` or `ansi`), `visibility` and `stdout_visibility`
(`hidden`, `after_due_date`, `after_published` or `visible`), `extra_data` (stored, not
shown), and `tests`, each with `score`, `max_score`, `status` (`passed` or `failed`), `name`,
`name_format`, `number`, `output`, `output_format`, `tags`, `visibility` and `extra_data`.

What we put where:

- One test per check, named "exercise03 linear_backward.dW: the gradient dW", numbered
  exercise.check ("3.2"); one test per quiz, its per-question scores in the output.
- A check's `visibility` is the test's: Gradescope itself holds back a test that is not
  `visible`, so its full feedback can go in; it appears when Gradescope releases it. A
  hidden-case check the instructor made `visible` shows its result but not its feedback,
  which names the student's hidden inputs.
- What the learner's code printed is a test of its own, worth nothing, as visible as the
  least visible check of its exercise: code run on hidden cases may print them. Its status
  is its exercise's (failed unless the exercise passed): without one, Gradescope styles a
  0/0 test as passed, beside the failed checks whose output it shows.
- The top-level output is a summary whose points count only the `visible` tests (the others'
  points would give away whether they passed). When grading itself broke, it says so first,
  and the score is 0: Gradescope has no "not gradable", and a broken run must not pass for a
  grade.
- Sandbox notes and the student id go in `extra_data`, stored for instructors and not shown
  to students; stdout (what `bpgrade` prints) stays `hidden`, Gradescope's own default.
- Every text is `text` format: feedback aligns arrays in columns, and learner output must
  never be read as HTML or Markdown.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from grader.formats._common import (
    GRADING_BROKE,
    WITHHELD,
    printed,
    quiz_feedback,
    quiz_name,
    quiz_passed,
    summary,
    test_name,
)
from grader.report import CheckReport, ExerciseReport, QuizReport, Report

Visibility = Literal["hidden", "after_due_date", "after_published", "visible"]
TextFormat = Literal["text", "html", "simple_format", "md", "ansi"]
TestStatus = Literal["passed", "failed"]

# From shown now to never shown, so the least visible of several can be picked.
VISIBILITY_ORDER: tuple[Visibility, ...] = (
    "visible",
    "after_due_date",
    "after_published",
    "hidden",
)


class GradescopeTest(BaseModel):
    score: float
    max_score: float
    status: TestStatus
    name: str
    name_format: TextFormat = "text"
    number: str
    output: str
    output_format: TextFormat = "text"
    tags: list[str] = []
    visibility: Visibility = "visible"


class InstructorData(BaseModel):
    """Kept by Gradescope with the submission (`extra_data`), not shown to students."""

    student: str | None = None
    grading_error: str | None = None
    sandbox_notes: list[str] = []


class GradescopeResults(BaseModel):
    score: float
    output: str
    output_format: TextFormat = "text"
    test_output_format: TextFormat = "text"
    test_name_format: TextFormat = "text"
    stdout_visibility: Visibility = "hidden"
    extra_data: InstructorData
    tests: list[GradescopeTest]


def build(report: Report) -> GradescopeResults:
    tests: list[GradescopeTest] = []
    for number, exercise in enumerate(report.exercises, start=1):
        tests += _exercise_tests(exercise, number)
    for number, quiz in enumerate(report.quizzes, start=len(report.exercises) + 1):
        tests.append(_quiz_test(quiz, number))
    return GradescopeResults(
        score=0.0 if report.error else report.score,
        output=_output(report),
        extra_data=InstructorData(
            student=report.student, grading_error=report.error, sandbox_notes=report.notes
        ),
        tests=tests,
    )


def render(report: Report) -> str:
    return build(report).model_dump_json(indent=2, exclude_none=True)


def _shown_now(check: CheckReport) -> bool:
    return check.visibility == "visible"


def _output(report: Report) -> str:
    text = summary(report, counted=_shown_now)
    if report.error:
        text = f"{GRADING_BROKE}\n\nWhat went wrong: {report.error}\n\n{text}"
    return text


def _exercise_tests(exercise: ExerciseReport, number: int) -> list[GradescopeTest]:
    tests = [
        _check_test(exercise, check, f"{number}.{index}")
        for index, check in enumerate(exercise.checks, start=1)
    ]
    if exercise.output:
        tests.append(_printed_test(exercise, f"{number}.{len(exercise.checks) + 1}"))
    return tests


def _check_test(exercise: ExerciseReport, check: CheckReport, number: str) -> GradescopeTest:
    # Gradescope hides a test that is not visible until it may be shown, feedback and all;
    # only a hidden-case check shown at once must keep its feedback back.
    redacted = check.hidden and check.visibility == "visible"
    tags = [exercise.name]
    if check.hidden:
        tags.append("hidden cases")
    if check.diagnosis and not redacted:
        tags.append(check.diagnosis)
    return GradescopeTest(
        score=check.score,
        max_score=check.max_score,
        status="passed" if check.passed else "failed",
        name=test_name(exercise, check),
        number=number,
        output=WITHHELD if redacted else check.message,
        tags=tags,
        visibility=check.visibility,
    )


def _printed_test(exercise: ExerciseReport, number: str) -> GradescopeTest:
    visibility = _least_visible([check.visibility for check in exercise.checks])
    shown = visibility != "visible" or not any(check.hidden for check in exercise.checks)
    return GradescopeTest(
        score=0.0,
        max_score=0.0,
        status="passed" if exercise.status == "passed" else "failed",
        name=f"{exercise.name}: what your code printed",
        number=number,
        output=printed(exercise, shown),
        tags=[exercise.name],
        visibility=visibility,
    )


def _least_visible(visibilities: list[Visibility]) -> Visibility:
    return max(visibilities, key=VISIBILITY_ORDER.index, default="visible")


def _quiz_test(quiz: QuizReport, number: int) -> GradescopeTest:
    return GradescopeTest(
        score=quiz.score,
        max_score=quiz.max_score,
        status="passed" if quiz_passed(quiz) else "failed",
        name=quiz_name(quiz),
        number=str(number),
        output=quiz_feedback(quiz),
        tags=["quiz"],
    )
