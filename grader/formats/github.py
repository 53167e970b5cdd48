"""GitHub Classroom's autograding result: the object a grader step hands to
`classroom-resources/autograding-grading-reporter`.

The shape, from the current graders (`autograding-command-grader`, `autograding-io-grader`,
`autograding-python-grader`) and what the reporter reads of it: `version` (1), `status`
(`pass`, `fail` or `error`), `max_score`, and `tests`, each with `name`, `status`, `score`,
`message`, `test_code`, `filename` and `line_no`. The reporter fails the job when a result's
status is `fail` or `error`, prints each test's name and, for a test that did not pass, its
message; the grade it sends to Classroom is the sum of the tests' `score` out of the
results' `max_score`. (Its console table weighs tests equally instead: passed tests over all
tests, times max_score. Only the sum reaches Classroom.)

The graders' `duration`, in milliseconds, is left out: bpgrade does not time checks, and the
reporter does not read it.

What we put where:

- One test per check (its `test_code` the command that re-runs it, its `filename` the
  learner's file) and one per quiz, its per-question scores in the message.
- A check of a file that could not be loaded has status `error`; so does a `grading` test
  when grading itself broke, and then the result's status is `error` and every score is 0,
  since the sum of the scores is what Classroom records as the grade.
- The workflow log is the student's to read, so hidden-case checks and those to be shown
  later keep their feedback back (`WITHHELD`), and sandbox notes are left out. What the
  learner's code printed is already in the step's log (the runner sends it to stderr), so it
  is not repeated here.

The reporter reads each grader's result base64-encoded, from the environment variable
`<RUNNER ID>_RESULTS`, where the runner id is named in its `runners` input. A workflow step:

    - name: bpgrade
      id: bpgrade
      run: |
        bpgrade check --all --format github --output bpgrade-result.json || true
        echo "result=$(base64 -w0 bpgrade-result.json)" >> "$GITHUB_OUTPUT"
    - name: Autograding Reporter
      uses: classroom-resources/autograding-grading-reporter@v1
      env:
        BPGRADE_RESULTS: "${{ steps.bpgrade.outputs.result }}"
      with:
        runners: bpgrade

(`|| true` because `bpgrade check` exits 1 when a check fails; the reporter decides the
job's outcome from the result.)
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from grader.formats._common import (
    GRADING_BROKE,
    feedback,
    quiz_feedback,
    quiz_name,
    quiz_passed,
    test_name,
)
from grader.report import CheckReport, ExerciseReport, QuizReport, Report

Status = Literal["pass", "fail", "error"]


class ClassroomTest(BaseModel):
    name: str
    status: Status
    score: float
    message: str
    test_code: str = ""
    filename: str = ""
    line_no: int = 0


class ClassroomResult(BaseModel):
    version: Literal[1] = 1
    status: Status
    max_score: float
    tests: list[ClassroomTest]


def build(report: Report) -> ClassroomResult:
    tests = [
        _check_test(exercise, check) for exercise in report.exercises for check in exercise.checks
    ]
    tests += [_quiz_test(quiz) for quiz in report.quizzes]
    if report.error:
        tests = [_grading_test(report.error), *(_no_score(test) for test in tests)]
    return ClassroomResult(status=_status(tests), max_score=report.max_score, tests=tests)


def render(report: Report) -> str:
    return build(report).model_dump_json(indent=2)


def _status(tests: list[ClassroomTest]) -> Status:
    statuses = {test.status for test in tests}
    if "error" in statuses:
        return "error"
    return "fail" if "fail" in statuses else "pass"


def _check_test(exercise: ExerciseReport, check: CheckReport) -> ClassroomTest:
    if exercise.status == "error":
        status: Status = "error"
    else:
        status = "pass" if check.passed else "fail"
    return ClassroomTest(
        name=test_name(exercise, check),
        status=status,
        score=check.score,
        message=feedback(check),
        test_code=f"bpgrade check {exercise.name}",
        filename=exercise.file,
    )


def _quiz_test(quiz: QuizReport) -> ClassroomTest:
    return ClassroomTest(
        name=quiz_name(quiz),
        status="pass" if quiz_passed(quiz) else "fail",
        score=quiz.score,
        message=quiz_feedback(quiz),
    )


def _grading_test(error: str) -> ClassroomTest:
    return ClassroomTest(
        name="grading", status="error", score=0.0, message=f"{GRADING_BROKE}\n\n{error}"
    )


def _no_score(test: ClassroomTest) -> ClassroomTest:
    return test.model_copy(update={"score": 0.0})
