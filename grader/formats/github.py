"""GitHub Classroom's autograding result: the object a grader step hands to
`classroom-resources/autograding-grading-reporter`, and the feedback a student reads in the
workflow run (its job summary and annotations).

The shape, from the current graders (`autograding-command-grader`, `autograding-io-grader`,
`autograding-python-grader`): `version` (1), `status` (`pass`, `fail` or `error`),
`max_score`, and `tests`, each with `name`, `status`, `score`, `message`, `test_code`,
`filename` and `line_no`. Those graders make one test per runner, worth the runner's whole
`max-score` (read as an integer) when it passes and 0 when it does not.

How the reporter (v1) counts, which decides what we emit:

- Its log and its summary table give each runner `passed tests / all tests * max_score`,
  and "Grand total tests passed: passed/all". Every test weighs the same.
- The grade it hands to Classroom (a notice, `{"totalPoints", "maxPoints"}`) is the sum of
  the tests' `score` out of the sum of the results' `max_score`. Classroom keeps points as
  whole numbers (its REST API's `points_awarded` and `points_available` are integers).

Checks are worth 1, 2 or 3 points, so one test per check made the two disagree (50.73/52 in
the log, 50/52 recorded). Here every test is one point, pass or fail: a check worth 2 points
is two tests, `(point 1 of 2)` and `(point 2 of 2)`. Then every number the reporter shows is
the recorded grade: passed tests = points. Partial credit (a quiz question's 1.5 of 2 points)
counts each whole point earned; a fraction of a point is not counted, and the job summary
says so beside the exact score. Only where the catalog's points are not whole (a check split
in halves between public and hidden cases) is a test a half point. Advice checks are worth
nothing, so they are not tests (a 0-point test would still count in `passed/all`); their
feedback is in the job summary.

What we put where:

- A test's `test_code` is the command that shows the check again (`bpgrade check
  exercise03`), given for tests that did not pass: the reporter prints it under the test.
- A check of a file that could not be loaded is `error` (once per exercise: the reporter
  prints an errored test's message, not its name, so the message names the exercise); its
  other points fail. When grading itself broke, one `grading` test errs, the result's status
  is `error` and nothing is scored, since the sum of the scores is what Classroom records.
- The reporter prints a failed test's name but not its message, so the feedback is written
  where GitHub shows it beside the run: the job summary (`$GITHUB_STEP_SUMMARY`, Markdown on
  the run's page) and one error annotation per exercise that did not pass (GitHub shows 10
  per step). `bpgrade check --format github` writes both when it runs in GitHub Actions.
- The workflow log is the student's to read, so hidden-case checks and those to be shown
  later keep their feedback back (`WITHHELD`), and sandbox notes are left out. What the
  learner's code printed is already in the step's log (the runner sends it to stderr), so it
  is not repeated.

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

import html
import math
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from grader.formats._common import (
    GRADING_BROKE,
    STATUS_WORDS,
    feedback,
    fenced,
    first_line,
    points,
    printable_report,
    quiz_feedback,
    quiz_name,
    test_name,
)
from grader.report import LAYOUT_HEADING, ExerciseReport, QuizReport, Report

Status = Literal["pass", "fail", "error"]

# GitHub shows at most this many error annotations of one step; the rest are dropped.
ANNOTATIONS = 10
# A step's job summary over 1 MiB is not shown at all; stay well under it.
SUMMARY_BUDGET = 512 * 1024
FEEDBACK_CAP = 20_000
# A whole point earned as 1.9999999 after rounding elsewhere is still a whole point.
EPSILON = 1e-6


class ClassroomTest(BaseModel):
    name: str
    status: Status
    score: int | float
    message: str
    test_code: str = ""
    filename: str = ""
    line_no: int = 0


class ClassroomResult(BaseModel):
    version: Literal[1] = 1
    status: Status
    max_score: int | float
    tests: list[ClassroomTest]

    @property
    def recorded(self) -> tuple[float, float]:
        """The grade as the reporter sends it to Classroom: the tests' scores summed, out of
        max_score."""
        return sum(test.score for test in self.tests), self.max_score


@dataclass(frozen=True)
class _Scored:
    """One thing that earns points: a check, a quiz question, or a quiz without questions."""

    name: str
    worth: float
    earned: float
    status: Status
    message: str
    test_code: str = ""
    filename: str = ""


def build(report: Report) -> ClassroomResult:
    items = list(_scored(report))
    unit = _unit([item.worth for item in items])
    max_score = _number(sum((_units(item.worth, unit) for item in items), 0) * unit)
    if report.error:
        tests = [_grading_test(report.error)]
    else:
        tests = [test for item in items for test in _point_tests(item, unit)]
    return ClassroomResult(status=_status(tests), max_score=max_score, tests=tests)


def render(report: Report) -> str:
    return build(report).model_dump_json(indent=2)


def _status(tests: list[ClassroomTest]) -> Status:
    statuses = {test.status for test in tests}
    if "error" in statuses:
        return "error"
    return "fail" if "fail" in statuses else "pass"


def _scored(report: Report) -> Iterator[_Scored]:
    for exercise in report.exercises:
        yield from _scored_checks(exercise)
    for quiz in report.quizzes:
        yield from _scored_quiz(quiz)


def _scored_checks(exercise: ExerciseReport) -> Iterator[_Scored]:
    errored = exercise.status == "error"
    told = False  # an unloadable exercise's reason is told once
    for check in exercise.checks:
        if check.max_score <= 0:
            continue  # advice: worth nothing, in the job summary only
        status: Status = "pass" if check.passed else "fail"
        message = feedback(check)
        if errored:
            reason = first_line(exercise.error or check.message)
            status = "fail" if told else "error"
            message = f"{exercise.name} ({exercise.file}) could not be graded: {reason}"
            told = True
        yield _Scored(
            name=test_name(exercise, check),
            worth=check.max_score,
            earned=check.score,
            status=status,
            message=message,
            test_code="" if check.passed else f"bpgrade check {exercise.name}",
            filename=exercise.file,
        )


def _scored_quiz(quiz: QuizReport) -> Iterator[_Scored]:
    if not quiz.questions or quiz.error:
        status: Status = "pass" if quiz.score >= quiz.max_score else "fail"
        yield _Scored(quiz_name(quiz), quiz.max_score, quiz.score, status, quiz_feedback(quiz))
        return
    lines = quiz_feedback(quiz).splitlines()
    told = False  # the whole quiz's feedback comes with its first question
    for question, line in zip(quiz.questions, lines[-len(quiz.questions) :], strict=True):
        if question.max_score <= 0:
            continue
        yield _Scored(
            name=f"{quiz_name(quiz)} question {question.id}",
            worth=question.max_score,
            earned=question.score,
            status="pass" if question.correct else "fail",
            message=line.strip() if told else "\n".join(lines),
        )
        told = True


def _unit(worths: list[float]) -> Fraction:
    """What one test is worth: a point, or the largest fraction of one that divides every
    item's points (a half, when checks are split between public and hidden cases)."""
    unit = Fraction(1)
    for worth in worths:
        value = Fraction(worth).limit_denominator(1000)
        denominator = unit.denominator * value.denominator
        numerator = math.gcd(unit.numerator * value.denominator, value.numerator * unit.denominator)
        unit = Fraction(numerator, denominator)
    return unit


def _units(value: float, unit: Fraction) -> int:
    """How many whole units `value` holds; a share smaller than a unit is not counted."""
    return math.floor(Fraction(value).limit_denominator(1000) / unit + EPSILON)


def _number(value: Fraction) -> int | float:
    return value.numerator if value.denominator == 1 else float(value)


def _point_tests(item: _Scored, unit: Fraction) -> Iterator[ClassroomTest]:
    count = _units(item.worth, unit)
    earned = min(count, _units(item.earned, unit))
    word = "point" if unit == 1 else "part"
    for index in range(count):
        passed = index < earned
        if passed:
            status: Status = "pass"
        else:
            status = "error" if item.status == "error" and index == earned else "fail"
        first = index == 0
        name = item.name if count == 1 else f"{item.name} ({word} {index + 1} of {count})"
        yield ClassroomTest(
            name=name,
            status=status,
            score=_number(unit) if passed else 0,
            message=item.message if first else f"{word} {index + 1} of {count}: {item.name}",
            test_code=item.test_code if first else "",
            filename=item.filename,
        )


def _grading_test(error: str) -> ClassroomTest:
    return ClassroomTest(
        name="grading", status="error", score=0, message=f"{GRADING_BROKE}\n\n{error}"
    )


# ----------------------------------------------------------------------------- in a workflow


def publish(report: Report, folder: Path | None, environ: Mapping[str, str]) -> list[str]:
    """In a GitHub Actions step, the feedback where the student sees it: the job summary is
    appended to `$GITHUB_STEP_SUMMARY`, and the workflow commands that annotate the run are
    returned, for the caller to print on standard output. Outside Actions, nothing."""
    if environ.get("GITHUB_ACTIONS") != "true":
        return []
    report = printable_report(report)
    commands = error_annotations(report, folder)
    summary_file = environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        try:
            with open(summary_file, "a", encoding="utf-8") as file:
                file.write(job_summary(report))
        except OSError as error:
            commands.append(f"::warning title=bpgrade::{_data(f'no job summary: {error}')}")
    return commands


def job_summary(report: Report) -> str:
    """The results as Markdown for the run's page: the total Classroom records, a row per
    exercise and quiz, then the feedback of everything that did not pass."""
    score, max_score = build(report).recorded
    lines = [f"## bpgrade: {points(score)}/{points(max_score)} points", ""]
    if report.error:
        lines += [_quoted(GRADING_BROKE), "", fenced(report.error), ""]
        return "\n".join(lines)
    if not math.isclose(score, report.score, abs_tol=EPSILON):
        lines += [
            f"GitHub Classroom records whole points: {points(score)}/{points(max_score)}. "
            f"Your exact score is {points(report.score)}/{points(report.max_score)}; part "
            "of a point (partial credit on a quiz question) is not counted.",
            "",
        ]
    if report.layout:  # it explains the scores that follow, so it comes before them
        lines += [f"**{LAYOUT_HEADING}**", *(f"- {_inline(note)}" for note in report.layout), ""]
    lines += ["| | | points | result |", "|---|---|---|---|"]
    lines += [_exercise_row(exercise) for exercise in report.exercises]
    lines += [_quiz_row(quiz) for quiz in report.quizzes]
    lines.append("")
    budget = SUMMARY_BUDGET - len("\n".join(lines).encode("utf-8"))
    for section in _details(report):
        size = len(section.encode("utf-8")) + 1
        if size > budget:
            lines.append("More feedback than fits here: it is in the bpgrade step's log.")
            break
        lines.append(section)
        budget -= size
    return "\n".join(lines) + "\n"


_MARKS = {"passed": "✅", "failed": "❌", "not_started": "⏳", "error": "⚠️"}


def _exercise_row(exercise: ExerciseReport) -> str:
    title = _inline(f"{exercise.name}: {exercise.title}")
    score = f"{points(exercise.score)}/{points(exercise.max_score)}"
    return f"| {_MARKS[exercise.status]} | {title} | {score} | {STATUS_WORDS[exercise.status]} |"


def _quiz_row(quiz: QuizReport) -> str:
    full = quiz.error is None and quiz.score >= quiz.max_score
    score = f"{points(quiz.score)}/{points(quiz.max_score)}"
    word = "passed" if full else ("could not be graded" if quiz.error else "failed")
    return f"| {'✅' if full else '❌'} | {_inline(quiz_name(quiz))} | {score} | {word} |"


def _details(report: Report) -> Iterator[str]:
    for exercise in report.exercises:
        if exercise.status == "error":
            reason = exercise.error or "it could not be loaded"
            yield f"### ⚠️ {_inline(exercise.name)}: {_inline(exercise.file)} could not be graded"
            yield fenced(reason) + "\n"
        elif exercise.status == "not_started":
            yield f"### ⏳ {_inline(exercise.name)}: not started yet"
            yield f"Write the functions of {_inline(exercise.file)}, then push again.\n"
        else:
            yield from _check_details(exercise)
    for quiz in report.quizzes:
        if quiz.error is not None or quiz.score < quiz.max_score:
            yield f"### ❌ {_inline(quiz_name(quiz))}"
            yield fenced(quiz_feedback(quiz)) + "\n"


def _check_details(exercise: ExerciseReport) -> Iterator[str]:
    for check in exercise.checks:
        if check.passed:
            continue
        advice = check.max_score <= 0
        mark, worth = (
            ("💡", "advice, no points") if advice else ("❌", f"0/{points(check.max_score)}")
        )
        yield f"### {mark} {_inline(test_name(exercise, check))} ({worth})"
        yield fenced(feedback(check)[:FEEDBACK_CAP])
        yield f"`bpgrade check {exercise.name}` shows this on your machine.\n"


def error_annotations(report: Report, folder: Path | None) -> list[str]:
    """One error annotation per exercise or quiz that did not pass, on the exercise's file
    where it lies in the repository; first, a warning of where the files were found when
    that was not where the course puts them."""
    commands = [
        _annotation(
            _exercise_title(exercise), _exercise_text(exercise), _path(folder, exercise, report)
        )
        for exercise in report.exercises
        if exercise.status in ("failed", "error")
    ]
    commands += [
        _annotation(
            f"{quiz_name(quiz)}: {points(quiz.score)}/{points(quiz.max_score)}",
            quiz_feedback(quiz),
            None,
        )
        for quiz in report.quizzes
        if quiz.error is not None or quiz.score < quiz.max_score
    ]
    if report.error:
        commands = [_annotation("grading could not be completed", report.error, None)]
    if report.layout:
        note = _data("\n".join(report.layout))
        commands.insert(0, f"::warning title={_property(LAYOUT_HEADING.rstrip(':'))}::{note}")
    if len(commands) > ANNOTATIONS:
        rest = "More exercises did not pass: see the job summary."
        commands = [*commands[: ANNOTATIONS - 1], _annotation("and more", rest, None)]
    return commands


def _exercise_title(exercise: ExerciseReport) -> str:
    score = f"{points(exercise.score)}/{points(exercise.max_score)}"
    return f"{exercise.name}: {score}, {STATUS_WORDS[exercise.status]}"


def _exercise_text(exercise: ExerciseReport) -> str:
    if exercise.status == "error":
        return exercise.error or "it could not be loaded"
    failed = [check for check in exercise.checks if not check.passed]
    return "\n".join(f"{check.name}: {first_line(feedback(check))}" for check in failed)


def _path(folder: Path | None, exercise: ExerciseReport, report: Report) -> str | None:
    """The exercise's file relative to the working folder (the repository, in a workflow),
    or None when it lies elsewhere: the file graded, where the submission's layout found it
    (`hw/exercise03_linear.py`), else where the course puts it."""
    if folder is None:
        return None
    graded = report.files.get(exercise.name, exercise.file)
    path = Path(os.path.relpath(Path(folder).absolute() / graded))
    return None if path.parts[:1] == ("..",) else path.as_posix()


def _annotation(title: str, text: str, file: str | None) -> str:
    properties = f"title={_property(title)}"
    if file is not None:
        properties = f"file={_property(file)},{properties}"
    return f"::error {properties}::{_data(text[:FEEDBACK_CAP])}"


def _data(text: str) -> str:
    """Text as a workflow command's message: its line breaks kept, encoded."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _inline(text: str) -> str:
    """Text for one line of Markdown (a heading, a table cell) that shows as typed: no
    markup, no HTML, no line break, no table column taken."""
    text = html.escape(" ".join(text.split()), quote=False)
    return re.sub(r"([\\`*_\[\]|#~!])", r"\\\1", text)


def _quoted(text: str) -> str:
    return f"> **{_inline(text)}**"
