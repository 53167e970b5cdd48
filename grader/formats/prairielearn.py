"""PrairieLearn's external grading results: the `results.json` the grading container must
leave in `/grade/results/` (a folder PrairieLearn does not create; `write_results` does).

The schema, from PrairieLearn's "External Grading" documentation ("Grading results"):
`gradable` (false: the submission is marked invalid, no points given or lost, no attempt
used), `score` in [0, 1] (required when gradable), `format_errors` (a string or a list of
them, when not gradable), `message`, `output`, `images`, and `tests`, each with `name`,
`description`, `points`, `max_points`, `message`, `output` and `images`, rendered by the
`<pl-external-grader-results>` element. The whole file must stay under 1 MB; the runner caps
the learner's output, which is the only text here of unbounded size.

What we put where:

- One test per check (its name says the exercise and the check, its description the
  exercise's title) and one per quiz, its per-question scores in the message.
- `gradable` is false when the submission cannot be graded at all, in PrairieLearn's sense:
  grading itself broke (`report.error`: `format_errors` says to contact the instructor), or
  the submission's file has a syntax error, PrairieLearn's own example of an invalid
  submission (`format_errors` shows it). Either way the student gets no points, loses none,
  and keeps the attempt. A question grades one exercise; where several are graded together,
  only a submission whose every file has a syntax error is invalid, and otherwise the files
  that compile count, the others scoring 0 with the reason. A file that compiles but fails
  when imported (an exception, a timeout) is graded, 0 for its checks: it ran, and what it
  did is the student's.
- PrairieLearn shows every test to the student, at once and for good, so a hidden-case
  check, or one the instructor wants shown later, is listed with its points but with
  `WITHHELD_HERE` for its feedback, which promises nothing PrairieLearn cannot do later;
  what an exercise with such checks printed is not shown either.
- Sandbox notes are for instructors and PrairieLearn has no place only they see, so they
  are left out here; the grading job's log, which instructors read, is the place for them.
"""

from __future__ import annotations

from pydantic import BaseModel

from grader.formats._common import (
    GRADING_BROKE,
    printed,
    quiz_feedback,
    quiz_name,
    summary,
    test_name,
    withheld,
)
from grader.report import CheckReport, ExerciseReport, QuizReport, Report

# PrairieLearn has no "show later": a test is shown when graded, so this says only what is.
# The instructor can reproduce the student's hidden cases from the variant's seed.
WITHHELD_HERE = (
    "The details of this check are not shown here: it ran on your own hidden cases, or your "
    "instructor keeps its feedback back. Ask your instructor if you need them."
)
NOT_COMPILED = (
    "Not graded: your file has a syntax error, so Python could not read it. This submission "
    "does not count as an attempt; fix the error and submit again."
)


class PrairieLearnTest(BaseModel):
    name: str
    description: str
    points: float
    max_points: float
    message: str
    output: str = ""


class PrairieLearnResults(BaseModel):
    gradable: bool
    score: float
    message: str
    output: str
    format_errors: list[str] | None = None
    tests: list[PrairieLearnTest]


def build(report: Report) -> PrairieLearnResults:
    if report.error:
        return PrairieLearnResults(
            gradable=False,
            score=0.0,
            message=GRADING_BROKE,
            output=_output(report),
            format_errors=[f"{GRADING_BROKE} ({report.error})"],
            tests=[],
        )
    uncompiled = syntax_errors(report)
    if uncompiled and len(uncompiled) == len(report.exercises) and not report.quizzes:
        # no tests: a list of checks at 0 would read as a grade, and none is given
        return PrairieLearnResults(
            gradable=False,
            score=0.0,
            message=NOT_COMPILED,
            output=_output(report),
            format_errors=uncompiled,
            tests=[],
        )
    tests = [
        _check_test(exercise, check) for exercise in report.exercises for check in exercise.checks
    ]
    tests += [_quiz_test(quiz) for quiz in report.quizzes]
    return PrairieLearnResults(
        gradable=True,
        score=_fraction(report),
        message=_message(report),
        output=_output(report),
        tests=tests,
    )


def syntax_errors(report: Report) -> list[str]:
    """The syntax errors of the submitted files, each as the runner told it."""
    return [
        exercise.error
        for exercise in report.exercises
        if exercise.status == "error" and exercise.error and exercise.syntax_error
    ]


def render(report: Report) -> str:
    return build(report).model_dump_json(indent=2, exclude_none=True)


def _fraction(report: Report) -> float:
    """The score as PrairieLearn wants it, a fraction in [0, 1]."""
    if report.max_score <= 0:
        return 0.0
    return min(1.0, max(0.0, report.score / report.max_score))


def _message(report: Report) -> str:
    return summary(report).splitlines()[-1]


def _output(report: Report) -> str:
    parts = [summary(report)]
    parts += [
        printed(exercise, shown=not any(withheld(check) for check in exercise.checks))
        for exercise in report.exercises
        if exercise.output
    ]
    return "\n\n".join(parts)


def _check_test(exercise: ExerciseReport, check: CheckReport) -> PrairieLearnTest:
    return PrairieLearnTest(
        name=test_name(exercise, check),
        description=f"{exercise.title} ({exercise.file})",
        points=check.score,
        max_points=check.max_score,
        message=WITHHELD_HERE if withheld(check) else check.message,
    )


def _quiz_test(quiz: QuizReport) -> PrairieLearnTest:
    return PrairieLearnTest(
        name=quiz_name(quiz),
        description=f"quiz {quiz.quiz}",
        points=quiz.score,
        max_points=quiz.max_score,
        message=quiz_feedback(quiz),
    )
