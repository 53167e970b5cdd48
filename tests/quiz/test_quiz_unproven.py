"""A quiz file nobody validated: loading no longer proves every variant, so a question may have
no answer in the variant a learner draws (a log of a negative number). Each way a quiz is
taken or graded must then refuse it in a sentence that blames the quiz file, before a
question is shown, and never take down anything else: the interactive session, an answers
file, and a submission graded with a student id, whose exercises are graded as usual."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.quiz.grading import (
    VariantError,
    answer_key,
    drawn,
    grade_quiz,
    known_mistake,
)
from grader.quiz.loader import parse_quiz
from grader.quiz.models import Numeric
from grader.quiz.variants import default_seed, draw
from grader.submission import grade_quizzes
from tests.quiz.helpers import QUIZZES, REPO

# Loads (the middle of the range, 0.5, has a log) but has none for x <= 0, a third of draws.
BROKEN = """\
id = "badlog"
title = "Bad log"

[[questions]]
id = "log-q"
type = "numeric"
prompt = "What is log(x) at x = {x}?"
params = { x = { low = -1.0, high = 2.0 } }
answer = "log(x)"
rtol = 0.01
explanation = "The natural log."
"""
SEED = 1  # x = -0.81
GOOD_SEED = 0  # x = 1.92


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "badlog.toml").write_text(BROKEN)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_variants_used_here_are_as_described() -> None:
    quiz = parse_quiz(BROKEN)
    assert draw(quiz, SEED).questions["log-q"].params == {"x": -0.81}
    assert draw(quiz, GOOD_SEED).questions["log-q"].params["x"] > 0


def test_a_variant_with_no_answer_is_refused_when_drawn() -> None:
    quiz = parse_quiz(BROKEN)
    with pytest.raises(VariantError) as refused:
        drawn(quiz, SEED)
    assert str(refused.value) == (
        'question "log-q" has no answer in variant 1 (x = -0.81): log(-0.81) has no finite value'
    )
    assert answer_key(quiz, drawn(quiz, GOOD_SEED)) == {"log-q": pytest.approx(0.652325)}
    # Grading an undrawn variant says the same, never an ExpressionError.
    with pytest.raises(VariantError, match="in variant 1"):
        grade_quiz(quiz, {"log-q": 1.0}, draw(quiz, SEED))


def test_the_session_refuses_before_the_first_question(workspace: Path) -> None:
    result = CliRunner().invoke(
        main, ["quiz", "badlog.toml", "--seed", str(SEED)], input="1\n", catch_exceptions=False
    )
    assert result.exit_code == 2
    shown = flat(result.output)
    assert "Question 1" not in shown and "Traceback" not in shown
    assert (
        'badlog.toml: question "log-q" has no answer in variant 1 (x = -0.81): log(-0.81) has '
        "no finite value. This is a mistake in the quiz file, not yours: tell its author "
        "(`bpgrade quiz validate badlog.toml` finds every variant like this one)."
    ) in shown
    assert not (workspace / ".bpgrade").exists()  # no attempt saved, nothing recorded
    good = CliRunner().invoke(
        main, ["quiz", "badlog.toml", "--seed", str(GOOD_SEED)], input="0.65\n"
    )
    assert good.exit_code == 0 and "✓ Right." in good.output


def test_an_answers_file_is_refused_with_the_same_sentence(workspace: Path) -> None:
    (workspace / "answers.json").write_text(json.dumps({"log-q": 1}))
    args = ["quiz", "take", "badlog.toml", "--answers", "answers.json", "--seed", str(SEED)]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 2
    shown = flat(result.output)
    assert "Traceback" not in shown and "Score" not in shown
    assert 'badlog.toml: question "log-q" has no answer in variant 1 (x = -0.81)' in shown
    assert "a mistake in the quiz file, not yours" in shown


def test_a_known_mistake_with_no_finite_value_matches_nothing() -> None:
    # exp(700) * exp(700) overflows to inf without an error: within "rtol * inf" of it lay
    # every number, so every wrong answer was told this mistake's feedback.
    quiz = parse_quiz(
        BROKEN.replace('"log(x)"', '"x"').replace(
            'explanation = "The natural log."',
            'explanation = "x."\nmistakes = [{ expression = "exp(700) * exp(700) * x", '
            'feedback = "overflowed" }]',
        )
    )
    question = quiz.questions[0]
    assert isinstance(question, Numeric)
    assert known_mistake(question, 5.0, {"x": 0.5}) is None


# --- a submission ----------------------------------------------------------------------------


def student_with_a_broken_variant() -> str:
    quiz = parse_quiz(BROKEN)
    for number in range(100):
        student = f"s{number}"
        if draw(quiz, default_seed(student, quiz.id)).questions["log-q"].params["x"] <= 0:
            return student
    raise AssertionError("no student of 100 draws x <= 0")


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """The repository's course with one more quiz, unvalidated and broken for some students."""
    folder = tmp_path / "course"
    (folder / "quizzes").mkdir(parents=True)
    for part in ("exercises", "solutions", "specs"):
        (folder / part).symlink_to(REPO / part, target_is_directory=True)
    shutil.copy(QUIZZES / "chain-rule.toml", folder / "quizzes")
    (folder / "quizzes" / "badlog.toml").write_text(BROKEN)
    (folder / "quizzes" / "invalid.toml").write_text('id = "invalid"\n')
    return folder


@pytest.fixture
def submission(tmp_path: Path) -> Path:
    folder = tmp_path / "submission"
    (folder / "answers").mkdir(parents=True)
    shutil.copy(REPO / "solutions" / "exercise01_chain_rule.py", folder)
    for quiz in ("badlog", "chain-rule", "invalid"):
        (folder / "answers" / f"{quiz}.json").write_text("{}")
    return folder


def test_a_broken_quiz_is_not_graded_and_the_others_are(course: Path, submission: Path) -> None:
    answers = sorted((submission / "answers").iterdir())
    student = student_with_a_broken_variant()
    reports = {r.quiz: r for r in grade_quizzes(answers, course / "quizzes", student)}
    assert reports["chain-rule"].error is None and len(reports["chain-rule"].questions) == 7
    seed = default_seed(student, "badlog")
    assert reports["badlog"].error == (
        f'question "log-q" has no answer in your variant ({seed}): a mistake in the course\'s '
        "quiz, not yours (`bpgrade quiz validate` shows it)"
    )
    assert reports["badlog"].max_score == 1
    # What the course's file holds is not told to the student: it could be a graded answer.
    assert "log(" not in reports["badlog"].error
    assert reports["invalid"].error is not None
    assert reports["invalid"].error.startswith("the course's quiz file is invalid: a mistake")
    assert "title" not in reports["invalid"].error


def test_check_with_a_student_id_grades_the_exercises(course: Path, submission: Path) -> None:
    student = student_with_a_broken_variant()
    script = Path(sys.executable).parent / "bpgrade"
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "grader"]
    results = submission.parent / "results.json"
    done = subprocess.run(
        [*command, "check", "exercise01", "--dir", str(submission), "--student-id", student,
         "--format", "json", "--output", str(results)],
        cwd=submission.parent, env={**os.environ, "BPGRADE_COURSE": str(course)},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert "Traceback" not in done.stdout + done.stderr
    report = json.loads(results.read_text())
    assert report.get("error") is None, report.get("error")
    exercise01 = next(e for e in report["exercises"] if e["name"] == "exercise01")
    assert exercise01["status"] == "passed" and exercise01["score"] == exercise01["max_score"]
    quizzes = {q["quiz"]: q for q in report["quizzes"]}
    assert "has no answer in your variant" in quizzes["badlog"]["error"]
    assert quizzes["chain-rule"]["error"] is None
