"""What every results format shares: test names, points in words, the summary, and the rule
for what a student may see on a platform that cannot hide a test."""

from __future__ import annotations

import re
from collections.abc import Callable

from grader.report import LAYOUT_HEADING, CheckReport, ExerciseReport, QuizReport, Report

# Said in place of a check's feedback wherever the platform would show it now: the feedback
# of a hidden check names the student's hidden inputs.
WITHHELD = (
    "Graded on your own hidden cases, so the details are withheld; "
    "your instructor can release them after the deadline."
)
# Said first, in every format, when grading itself failed.
GRADING_BROKE = (
    "Grading could not be completed: the grader itself failed, not your code, "
    "so this score is not a grade. Please contact your instructor."
)

STATUS_WORDS = {
    "passed": "passed",
    "failed": "failed",
    "not_started": "not started",
    "error": "could not be graded",
}


def withheld(check: CheckReport) -> bool:
    """True when a platform without per-test visibility must not show this check's details:
    it ran on the student's hidden cases, or the instructor asked for it to be shown later."""
    return check.hidden or check.visibility != "visible"


def feedback(check: CheckReport) -> str:
    return WITHHELD if withheld(check) else check.message


def points(value: float) -> str:
    """2.0 -> '2', 1.5 -> '1.5': points as a person writes them."""
    return f"{value:g}"


def test_name(exercise: ExerciseReport, check: CheckReport) -> str:
    """What a student reads for one check: the exercise, the check, and what it checks."""
    return f"{exercise.name} {check.name}: {check.title}"


def quiz_name(quiz: QuizReport) -> str:
    return f"quiz {quiz.quiz} (seed {quiz.seed})"


def quiz_passed(quiz: QuizReport) -> bool:
    return quiz.error is None and all(question.correct for question in quiz.questions)


def quiz_feedback(quiz: QuizReport) -> str:
    """The quiz's score, then one line per question."""
    lines = [f"{quiz_name(quiz)}: {points(quiz.score)}/{points(quiz.max_score)} points"]
    if quiz.error is not None:
        lines.append(f"Not graded: {quiz.error}")
    lines += [
        f"  {q.id}: {points(q.score)}/{points(q.max_score)}, {'correct' if q.correct else 'wrong'}"
        for q in quiz.questions
    ]
    return "\n".join(lines)


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def every_check(check: CheckReport) -> bool:
    return True


def summary(report: Report, counted: Callable[[CheckReport], bool] = every_check) -> str:
    """One line per exercise and quiz, then the total. Only the checks `counted` says a
    student sees now add to the points shown, so a summary never gives away what a platform
    hides (on Gradescope a hidden test's points would reveal whether it passed)."""
    lines = [layout(report), ""] if report.layout else []
    lines += [_exercise_line(exercise, counted) for exercise in report.exercises]
    lines += [first_line(quiz_feedback(quiz)) for quiz in report.quizzes]
    lines.append(_total_line(report, counted))
    return "\n".join(lines)


def layout(report: Report) -> str:
    """Where the exercise files were found, when not where the course puts them: said
    before any score, since it explains the scores that follow."""
    return f"{LAYOUT_HEADING}\n{layout_list(report)}"


def layout_list(report: Report) -> str:
    """The layout notes, one list item a line, without the heading."""
    return "\n".join(f"- {note}" for note in report.layout)


def _exercise_line(exercise: ExerciseReport, counted: Callable[[CheckReport], bool]) -> str:
    shown = [check for check in exercise.checks if counted(check)]
    later = sum(check.max_score for check in exercise.checks if not counted(check))
    score = sum(check.score for check in shown)
    max_score = sum(check.max_score for check in shown)
    if exercise.status in ("not_started", "error"):
        status = STATUS_WORDS[exercise.status]
    else:
        status = "passed" if all(check.passed for check in shown) else "failed"
    line = f"{exercise.name} ({exercise.title}): {points(score)}/{points(max_score)}, {status}"
    if later:
        line += f"; {points(later)} more points from checks shown later"
    if exercise.error:
        line += "\n" + indent(exercise.error)
    return line


def _total_line(report: Report, counted: Callable[[CheckReport], bool]) -> str:
    checks = [check for exercise in report.exercises for check in exercise.checks]
    if all(counted(check) for check in checks):
        return f"Total: {points(report.score)}/{points(report.max_score)}"
    score = sum(c.score for c in checks if counted(c)) + sum(q.score for q in report.quizzes)
    max_score = sum(c.max_score for c in checks if counted(c))
    max_score += sum(q.max_score for q in report.quizzes)
    return f"Total on the checks shown now: {points(score)}/{points(max_score)}"


def printed(exercise: ExerciseReport, shown: bool) -> str:
    """What the learner's code printed, under a heading; a note instead when it must not be
    shown, since code run on hidden cases may have printed those cases."""
    if not exercise.output:
        return ""
    if not shown:
        return (
            f"Your {exercise.file} printed output while running checks whose details are "
            "withheld, so it is not shown here."
        )
    return f"What your {exercise.file} printed:\n{exercise.output}"


def fenced(text: str) -> str:
    """`text` verbatim as a Markdown code block: fenced by more backticks than it holds in a
    row, so nothing in it (a learner's Markdown or HTML) is rendered."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text.rstrip()}\n{fence}"


def indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def printable(text: str) -> str:
    """Text every format can encode: a lone surrogate (undecodable bytes a learner printed)
    becomes a visible backslash escape instead of failing to serialise."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def printable_report(report: Report) -> Report:
    """The report with every string made printable, checked again by its own model."""
    return type(report).model_validate(_printable_data(report.model_dump()))


def _printable_data(data: object) -> object:
    if isinstance(data, str):
        return printable(data)
    if isinstance(data, dict):
        return {key: _printable_data(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_printable_data(value) for value in data]
    return data
