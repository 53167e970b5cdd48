"""The course's quizzes as a learner's list shows them: each with where the learner stands.

Both `bpgrade list` and `bpgrade quiz list` show every quiz of the course, taken or not:
a quiz never taken is what a learner most needs to see. A quiz stands as one of

    not_taken   never finished here, nothing saved
    stopped     an attempt stopped part way, saved, that `bpgrade quiz NAME` resumes
                (`grader.quiz.attempt`: not one of a quiz changed since it began)
    taken       finished: its latest score (`grader.progress`)
    to_hand_in  a graded quiz of a release, answered to `answers/<id>.json` and handed in
    invalid     a quiz file that does not load (an author's mistake, said so, not hidden)

A quiz taken from a path outside the course keeps its score in the progress file and is
listed after the course's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from grader.progress import QuizAttempt, load
from grader.quiz.attempt import load_attempt, resumable

Standing = Literal["not_taken", "stopped", "taken", "to_hand_in", "invalid"]


@dataclass(frozen=True)
class QuizStanding:
    name: str  # what `bpgrade quiz NAME` takes
    title: str
    questions: int
    standing: Standing
    latest: QuizAttempt | None = None  # the latest finished attempt, if any
    answered: int = 0  # questions answered in a stopped attempt


def course_quizzes(folder: Path, workspace: Path) -> list[QuizStanding]:
    """Every quiz in `folder` (the course's quizzes) and, after them, any other quiz the
    workspace's progress has a score for."""
    from grader.quiz.handout import SUFFIX, HandoutError, handout_files, load_handout
    from grader.quiz.loader import QuizError, load_quiz, quiz_files

    finished = load(workspace).quizzes
    listed: list[QuizStanding] = []
    seen: set[str] = set()
    for path in quiz_files(folder):
        try:
            quiz = load_quiz(path)
        except QuizError:
            listed.append(QuizStanding(path.stem, "", 0, "invalid"))
            continue
        seen.add(quiz.id)
        latest = finished.get(quiz.id)
        stopped = load_attempt(workspace, quiz.id)
        count = len(quiz.questions)
        # As `bpgrade quiz NAME` decides: an attempt of a quiz changed since is started over.
        if stopped is not None and stopped.answers and resumable(stopped, quiz):
            listed.append(
                QuizStanding(
                    path.stem, quiz.title, count, "stopped", latest, stopped.answered(quiz)
                )
            )
        else:
            listed.append(
                QuizStanding(
                    path.stem, quiz.title, count, "taken" if latest else "not_taken", latest
                )
            )
    for path in handout_files(folder):
        name = path.name.removesuffix(SUFFIX)
        try:
            handout = load_handout(path)
        except HandoutError:
            listed.append(QuizStanding(name, "", 0, "invalid"))
            continue
        seen.add(handout.id)
        listed.append(QuizStanding(name, handout.title, len(handout.questions), "to_hand_in"))
    for quiz_id, latest in sorted(finished.items()):
        if quiz_id not in seen:
            listed.append(QuizStanding(quiz_id, "", 0, "taken", latest))
    return listed
