"""A grade report as Markdown, for a person: the instructor reading a batch's reports
(`grades-reports/<student>.md` beside the JSON), or a student it is handed to.

Everything the report holds is shown, hidden cases included (marked as such): this is the
instructor's copy. What came from the learner (messages quoting their values, what their code
printed, error text) goes in fenced blocks, so no Markdown or HTML of theirs is rendered.
"""

from __future__ import annotations

from grader.formats._common import (
    STATUS_WORDS,
    fenced,
    layout_list,
    points,
    quiz_feedback,
)
from grader.report import LAYOUT_HEADING, CheckReport, ExerciseReport, Report


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _check(check: CheckReport) -> list[str]:
    mark = "passed" if check.passed else "**failed**"
    hidden = " (hidden cases)" if check.hidden else ""
    line = (
        f"- {mark} `{check.name}`{hidden}, {points(check.score)}/{points(check.max_score)}: "
        f"{_cell(check.title)}"
    )
    if check.passed or not check.message.strip():
        return [line]
    return [line, "", _indent(fenced(check.message)), ""]


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" if line else "" for line in text.splitlines())


def _exercise(exercise: ExerciseReport) -> list[str]:
    status = STATUS_WORDS[exercise.status]
    lines = [
        f"## {exercise.name}: {_cell(exercise.title)}",
        "",
        f"{points(exercise.score)}/{points(exercise.max_score)} points, {status} "
        f"(`{exercise.file}`)",
        "",
    ]
    if exercise.status == "not_started":
        lines += [f"Not started: `{exercise.file}` still raises `NotImplementedError`.", ""]
    if exercise.error:
        lines += [fenced(exercise.error), ""]
    if exercise.status in ("passed", "failed"):  # else every check failed for that one reason
        lines += [*(line for check in exercise.checks for line in _check(check)), ""]
    if exercise.output:
        lines += ["What the code printed:", "", fenced(exercise.output), ""]
    return lines


def render(report: Report) -> str:
    who = f"{report.student}: " if report.student else ""
    lines = [f"# {who}{points(report.score)}/{points(report.max_score)}", ""]
    if report.error is not None:
        lines += ["**Not graded:** the score is not a grade.", "", fenced(report.error), ""]
    if report.layout:  # where the files were found explains the scores that follow
        lines += [f"**{LAYOUT_HEADING}**", "", fenced(layout_list(report)), ""]
    if report.exercises:
        lines += ["| Exercise | Points | Status |", "| --- | --- | --- |"]
        lines += [
            f"| {e.name}: {_cell(e.title)} | {points(e.score)}/{points(e.max_score)} "
            f"| {STATUS_WORDS[e.status]} |"
            for e in report.exercises
        ]
        lines.append("")
    for exercise in report.exercises:
        lines += _exercise(exercise)
    for quiz in report.quizzes:
        lines += [f"## Quiz {quiz.quiz}", "", fenced(quiz_feedback(quiz)), ""]
    if report.notes:
        lines += ["## Notes", "", *(f"- {_cell(note)}" for note in report.notes), ""]
    return "\n".join(lines).rstrip() + "\n"
