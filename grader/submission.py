"""One submission, graded the way a course platform needs it: everything or a clear reason.

A submission folder holds the exercise files at its top or in `exercises/`, and may hold quiz
answers in `answers/<quiz id>.json`. `grade_submission` never raises: when grading itself
breaks (a broken catalog, a bug in the grader) the report says so (`report.error`), so the
platform's results file is still written and says the grade is not a grade.
"""

from __future__ import annotations

import traceback
from pathlib import Path

from grader.catalog import ExerciseEntry
from grader.grading import DEFAULT_SEED, grade
from grader.report import QuizReport, Report, summarize
from grader.sandbox import Sandbox, SubmissionError, protect

ANSWERS_DIR = "answers"


def exercises_folder(submission: Path, entries: list[ExerciseEntry]) -> Path:
    """Where the exercise files are: the folder itself, or its `exercises/` sub-folder."""
    nested = submission / "exercises"
    if nested.is_symlink():  # it could point anywhere, the reference solutions included
        return submission
    here = sum((submission / e.file).is_file() for e in entries)
    inside = sum((nested / e.file).is_file() for e in entries) if nested.is_dir() else 0
    return nested if inside > here else submission


def answer_files(submission: Path) -> list[Path]:
    """Quiz answers handed in with the submission: answers/<quiz id>.json."""
    for folder in (submission / ANSWERS_DIR, submission.parent / ANSWERS_DIR):
        if folder.is_dir():
            return sorted(p for p in folder.glob("*.json") if p.is_file() and not p.is_symlink())
    return []


def grade_quizzes(answers: list[Path], quizzes: Path, student: str | None) -> list[QuizReport]:
    """Each answers file graded against the course quiz of the same name.

    The variant (option order, numbers) is the student's own: drawn from the student id when
    there is one, else from the user running the grader, as `bpgrade quiz` does."""
    from grader.quiz.answers import AnswersError, load_answers
    from grader.quiz.grading import grade_quiz
    from grader.quiz.loader import load_quiz
    from grader.quiz.variants import current_user, default_seed, draw

    reports = []
    for path in answers:
        quiz_file = quizzes / f"{path.stem}.toml"
        if not quiz_file.is_file():
            reports.append(_ungradable(path.stem, 0.0, f"the course has no quiz {path.stem!r}"))
            continue
        quiz = load_quiz(quiz_file)
        seed = default_seed(student or current_user(), quiz.id)
        try:
            answered = load_answers(path, quiz)
        except AnswersError as error:  # the student's file, the student's mistake
            message = str(error).replace(str(path), f"answers/{path.name}")
            reports.append(_ungradable(quiz.id, quiz.max_score, message, seed))
            continue
        result = grade_quiz(quiz, answered, draw(quiz, seed))
        reports.append(QuizReport.model_validate(result.model_dump()))
    return reports


def _ungradable(quiz: str, max_score: float, reason: str, seed: int = 0) -> QuizReport:
    return QuizReport(
        quiz=quiz, seed=seed, score=0.0, max_score=max_score, questions=[], error=reason
    )


def broken(entries: list[ExerciseEntry], reason: str, student: str | None) -> Report:
    """A report that is not a grade: every exercise at 0, and why."""
    report = summarize([])
    report.max_score = sum(e.max_score for e in entries)
    report.error = reason
    report.student = student
    return report


def grade_submission(
    entries: list[ExerciseEntry],
    submission: Path,
    course: Path,
    *,
    sandbox: Sandbox,
    seed: int = DEFAULT_SEED,
    student: str | None = None,
    answers: list[Path] | None = None,
    keep_out: list[Path] | None = None,
) -> Report:
    try:
        protect(sandbox, course, keep_out or [])
        folder = exercises_folder(submission, entries)
        solutions = course / "solutions"
        report = grade(entries, folder, solutions, seed, sandbox=sandbox, student=student)
        found = answer_files(submission) if answers is None else answers
        if found:
            quizzes = grade_quizzes(found, course / "quizzes", student)
            report = summarize(report.exercises, quizzes).model_copy(
                update={"student": student, "notes": report.notes}
            )
        return report
    except SubmissionError as error:
        return broken(entries, f"the submission cannot be graded: {error}", student)
    except Exception as error:  # the platform must get a results file, whatever broke
        detail = traceback.format_exception_only(error)[-1].strip()
        return broken(entries, f"grading itself failed ({detail}); this is not your fault", student)
