"""Hostile quiz answer files: each gives a small, clear result and never shows what a refused
file holds, whether graded with a submission (as a course platform does, as root) or by
`bpgrade quiz NAME --answers FILE`.

The attacks: a 64 MB answers file; an answers file, an `answers/` folder or a folder on the
way that is a symbolic link to root-only JSON files; a FIFO; a device; 10,000 unknown
question ids; a 1 MB answer; 10,000 files that name no quiz."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from grader.quiz.answers import MAX_BYTES, AnswersError, load_answers
from grader.quiz.loader import load_quiz
from grader.report import QuizReport
from grader.submission import (
    SYMLINKED_FOLDER,
    AnswerFiles,
    answer_files,
    grade_handed_in,
    grade_quizzes,
)
from tests.quiz.helpers import QUIZZES, REPO

ROOT = os.geteuid() == 0
QUIZ = "chain-rule"
SECRET_KEY = "secret-key-of-the-course"
SECRET_VALUE = "THE-SECRET-ANSWER"
SECRET_NAME = "topsecret-solutions-index"
SMALL = 2_000  # characters: a quiz report that says why, and no more


@pytest.fixture
def secrets(tmp_path: Path) -> Path:
    """A root-only folder of root-only JSON files: what a link in a submission points at."""
    folder = tmp_path / "private"
    folder.mkdir(mode=0o700)
    for name in (f"{QUIZ}.json", f"{SECRET_NAME}.json"):
        path = folder / name
        path.write_text(json.dumps({SECRET_KEY: SECRET_VALUE}))
        path.chmod(0o600)
    return folder


@pytest.fixture
def submission(tmp_path: Path) -> Path:
    folder = tmp_path / "submission"
    folder.mkdir()
    return folder


def answers(submission: Path) -> Path:
    folder = submission / "answers"
    folder.mkdir(exist_ok=True)
    return folder


def graded(submission: Path) -> list[QuizReport]:
    """The quiz reports of a submission, as `grade_submission` makes them."""
    return grade_handed_in(answer_files(submission), QUIZZES, "s1")


def text_of(reports: list[QuizReport]) -> str:
    return json.dumps([report.model_dump() for report in reports])


def assert_secret_never_shown(text: str) -> None:
    for secret in (SECRET_KEY, SECRET_VALUE, SECRET_NAME):
        assert secret not in text


def within(seconds: float, work: Callable[[], object]) -> object:
    """`work()`, which must not hang (a FIFO opened for reading would)."""
    done: list[object] = []
    thread = threading.Thread(target=lambda: done.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert done, f"still running after {seconds} s"
    return done[0]


# --- one file, too large or not a file ------------------------------------------------------


def test_a_64_mb_answers_file_is_refused_unread(submission: Path) -> None:
    path = answers(submission) / f"{QUIZ}.json"
    with path.open("w") as file:  # the attack: 64 MB of question ids, each repeated back
        file.write("{")
        file.write(",".join(f'"question-{i:08}": "{"x" * 40}"' for i in range(1_100_000)))
        file.write("}")
    assert path.stat().st_size > 64 << 20
    [report] = graded(submission)
    assert report.quiz == QUIZ and report.score == 0 and report.max_score > 0
    assert report.error is not None
    assert f"answers/{QUIZ}.json: not read, it is larger than 1 MiB" in report.error
    assert "question-" not in report.error and "xxxx" not in report.error
    assert len(text_of([report])) < SMALL


def test_a_file_just_over_the_cap_is_refused_and_one_at_it_is_read(submission: Path) -> None:
    quiz = load_quiz(QUIZZES / f"{QUIZ}.toml")
    path = answers(submission) / f"{QUIZ}.json"
    padding = MAX_BYTES - len('{"local-derivative": "x"}')
    path.write_text('{"local-derivative": "x"}' + " " * padding)
    assert path.stat().st_size == MAX_BYTES
    assert load_answers(path, quiz) == {"local-derivative": "x"}
    path.write_text('{"local-derivative": "x"}' + " " * (padding + 1))
    with pytest.raises(AnswersError, match="larger than 1 MiB"):
        load_answers(path, quiz)


def test_a_symlinked_answers_file_is_not_followed(submission: Path, secrets: Path) -> None:
    (answers(submission) / f"{QUIZ}.json").symlink_to(secrets / f"{QUIZ}.json")
    [report] = graded(submission)
    assert report.quiz == QUIZ and report.score == 0
    assert report.error == (
        f"answers/{QUIZ}.json: not read, it is a symbolic link: answers are read from regular "
        "files only, never through a link"
    )
    assert_secret_never_shown(text_of([report]))


def test_a_symlinked_answers_folder_is_not_listed_nor_read(submission: Path, secrets: Path) -> None:
    (submission / "answers").symlink_to(secrets, target_is_directory=True)
    found = answer_files(submission)
    assert found == AnswerFiles([], submission, f"answers/ {SYMLINKED_FOLDER}")
    reports = graded(submission)
    assert [(r.quiz, r.score, r.max_score) for r in reports] == [("answers/", 0, 0)]
    assert reports[0].error is not None and "symbolic link" in reports[0].error
    assert_secret_never_shown(text_of(reports))


def test_a_symlinked_answers_folder_beside_the_submission_is_refused_too(
    tmp_path: Path, secrets: Path
) -> None:
    """`bpgrade check --dir exercises` finds answers/ beside the exercises folder."""
    exercises = tmp_path / "exercises"
    exercises.mkdir()
    (tmp_path / "answers").symlink_to(secrets, target_is_directory=True)
    found = answer_files(exercises)
    assert found.files == [] and found.refused is not None
    assert "symbolic link" in found.refused


def test_a_symlinked_folder_anywhere_below_the_submission_is_refused(
    submission: Path, secrets: Path
) -> None:
    """Files named on the command line (`bpgrade check --answers`) inside the submission are
    walked to from the submission, each folder on the way opened without following a link."""
    (submission / "handed-in").symlink_to(secrets, target_is_directory=True)
    listed = sorted((submission / "handed-in").glob("*.json"))  # as `--answers FOLDER` lists
    assert [path.stem for path in listed] == [QUIZ, SECRET_NAME]
    [report] = grade_quizzes(listed, QUIZZES, "s1", submission)
    assert (report.quiz, report.score, report.max_score) == ("answers/", 0, 0)
    assert report.error == (
        "not read, 'handed-in' is a symbolic link, not a folder: answers are read from "
        "regular files only, never through a link"
    )
    assert_secret_never_shown(text_of([report]))  # nor the names of the files there
    # a folder of the instructor's own, outside the submission, is theirs to link
    elsewhere = submission.parent / "instructor"
    elsewhere.symlink_to(secrets, target_is_directory=True)
    [outside] = grade_quizzes([elsewhere / f"{QUIZ}.json"], QUIZZES, "s1", submission)
    assert outside.error is not None and SECRET_KEY in outside.error  # read: it is theirs


def test_a_fifo_is_refused_without_waiting_for_a_writer(submission: Path) -> None:
    os.mkfifo(answers(submission) / f"{QUIZ}.json")
    reports = within(10, lambda: graded(submission))
    assert isinstance(reports, list)
    [report] = reports
    assert report.error is not None and "it is a FIFO (named pipe)" in report.error


@pytest.mark.skipif(not ROOT, reason="making a device needs root")
def test_a_device_is_refused_unopened(submission: Path) -> None:
    path = answers(submission) / f"{QUIZ}.json"
    try:
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero: endless
    except PermissionError:
        pytest.skip("this container may not make devices")
    [report] = graded(submission)
    assert report.error is not None and "it is a device" in report.error


def test_a_folder_named_like_an_answers_file_is_refused(submission: Path) -> None:
    (answers(submission) / f"{QUIZ}.json").mkdir()
    [report] = graded(submission)
    assert report.error is not None and "it is a folder" in report.error


# --- what a readable file says --------------------------------------------------------------


def test_ten_thousand_unknown_ids_are_named_three_at_most(submission: Path) -> None:
    ids = {f"not-a-question-{i:05}": "x" for i in range(10_000)}
    (answers(submission) / f"{QUIZ}.json").write_text(json.dumps(ids))
    [report] = graded(submission)
    assert report.error == (
        f"answers/{QUIZ}.json: quiz '{QUIZ}' has no question 'not-a-question-00000', "
        "'not-a-question-00001', 'not-a-question-00002' and 9,997 more"
    )


def test_a_long_unknown_id_is_clipped(submission: Path) -> None:
    (answers(submission) / f"{QUIZ}.json").write_text(json.dumps({"q" * 500_000: "x"}))
    [report] = graded(submission)
    assert report.error is not None and len(report.error) < 200
    assert "q" * 40 + "…'" in report.error


def test_a_1_mb_answer_is_not_repeated(submission: Path) -> None:
    answer = "a" * 1_000_000
    content: dict[str, object] = {"composite": [answer[:100]] * 3}  # not a number: 0
    (answers(submission) / f"{QUIZ}.json").write_text(json.dumps(content))
    [report] = graded(submission)
    assert report.error is None and report.score == 0
    # An option id the question lacks is refused, and named clipped.
    content["local-derivative"] = answer
    (answers(submission) / f"{QUIZ}.json").write_text(json.dumps(content))
    [report] = graded(submission)
    assert report.error is not None and len(report.error) < 200
    assert "has no option '" + "a" * 40 + "…'" in report.error
    assert len(text_of([report])) < SMALL


def test_a_1_mb_answer_of_the_wrong_type_is_named_not_shown(submission: Path) -> None:
    content = {"local-derivative": {"nested": "a" * 1_000_000}}
    (answers(submission) / f"{QUIZ}.json").write_text(json.dumps(content))
    [report] = graded(submission)
    assert report.error is not None and "not a JSON object of question id" in report.error
    assert "local-derivative" in report.error and "aaaa" not in report.error
    assert len(report.error) < 400


def test_ten_thousand_files_that_name_no_quiz_make_four_reports_at_most(
    submission: Path,
) -> None:
    folder = answers(submission)
    for i in range(10_000):
        (folder / f"stray-{i:05}.json").write_text("{}")
    (folder / f"{'n' * 200}.json").write_text("{}")
    (folder / f"{QUIZ}.json").write_text(json.dumps({"local-derivative": "x"}))
    reports = graded(submission)
    assert [r.quiz for r in reports] == [
        QUIZ,
        "n" * 40 + "…",
        "stray-00000",
        "stray-00001",
        "answers/",
    ]
    assert reports[0].score == 1.0
    assert reports[-1].error == (
        "9,998 more answers files name no quiz of the course ('stray-00002', 'stray-00003', "
        "'stray-00004' and 9,995 more); they were not read"
    )
    assert len(text_of(reports)) < 3 * SMALL


def test_an_option_or_step_the_question_lacks_is_said_not_scored_0(submission: Path) -> None:
    folder = answers(submission)
    (folder / f"{QUIZ}.json").write_text(json.dumps({"local-derivative": "b"}))
    [report] = graded(submission)
    assert report.error == (
        "answers/chain-rule.json: question 'local-derivative' has no option 'b': name its "
        "options by their ids in the quiz, not by letters"
    )
    order = ["dL-da", "dL-dz", "dL-dw", "dL-dL"]
    (folder / f"{QUIZ}.json").write_text(json.dumps({"factor-order": order}))
    [report] = graded(submission)
    assert report.error is not None
    assert "question 'factor-order' has no step 'dL-dL': list its" in report.error


# --- through the commands -------------------------------------------------------------------


def bpgrade(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "bpgrade"
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "grader"]
    environment = {k: v for k, v in os.environ.items() if k != "BPGRADE_COURSE"}
    return subprocess.run(
        [*command, *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("attack", ["huge", "linked-file", "linked-folder", "fifo"])
def test_quiz_answers_refuses_each_attack_in_one_line(
    tmp_path: Path, secrets: Path, attack: str
) -> None:
    path = tmp_path / "answers.json"
    if attack == "huge":
        path.write_text(json.dumps({f"q{i}": SECRET_VALUE for i in range(200_000)}))
    elif attack == "linked-file":
        path.symlink_to(secrets / f"{QUIZ}.json")
    elif attack == "linked-folder":  # the file itself is regular: the instructor's own path
        (tmp_path / "linked").symlink_to(secrets, target_is_directory=True)
        path = tmp_path / "linked" / f"{SECRET_NAME}.json"
        (secrets / f"{SECRET_NAME}.json").write_text(json.dumps({"x" * 10_000: 1}))
    else:
        os.mkfifo(path)
    done = bpgrade(tmp_path, "quiz", QUIZ, "--answers", str(path))
    assert done.returncode == 2, done.stdout + done.stderr
    assert len(done.stderr) < 400 and done.stdout == ""
    assert SECRET_VALUE not in done.stderr and SECRET_KEY not in done.stderr
    assert "x" * 41 not in done.stderr


@pytest.mark.parametrize("attack", ["huge", "linked-folder"])
def test_a_platform_results_file_stays_small(tmp_path: Path, secrets: Path, attack: str) -> None:
    """The attack of issue 9 through the real command: a 64 MB answers file gave a 65 MB
    results file, and a linked answers/ folder showed names and keys of root-only files."""
    submission = tmp_path / "submission"
    submission.mkdir()
    shutil.copy(REPO / "solutions" / "exercise01_chain_rule.py", submission)
    if attack == "huge":
        keys = (f'"{SECRET_KEY}-{i:08}": "{SECRET_VALUE}"' for i in range(1_000_000))
        (answers(submission) / f"{QUIZ}.json").write_text("{" + ",".join(keys) + "}")
    else:
        (submission / "answers").symlink_to(secrets, target_is_directory=True)
    results = tmp_path / "results" / "results.json"
    done = bpgrade(
        tmp_path, "check", "exercise01", "--dir", str(submission), "--format", "gradescope",
        "--student-id", "s1", "--output", str(results),
    )  # fmt: skip
    assert results.stat().st_size < 64 << 10, done.stderr
    text = results.read_text()
    assert_secret_never_shown(text + done.stdout + done.stderr)
    graded = json.loads(text)
    quiz = [t for t in graded["tests"] if "quiz" in t.get("tags", [])]
    assert len(quiz) == 1
    assert ("larger than 1 MiB" if attack == "huge" else "symbolic link") in quiz[0]["output"]
