"""The quiz session as a learner lives it: the real `bpgrade quiz` in an 80-column
pseudo-terminal (tests/quiz/terminal.py), stopped with Ctrl-C and Ctrl-D, resumed, retaken with
new numbers, ended with a list of what to review; and `bpgrade list` showing every quiz.

The quiz is tests/quiz/data/session.toml, copied into the workspace so that the command a
learner is told to type again is short. Each assertion reads the screen."""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.progress import record_quiz
from grader.quiz.attempt import Attempt, attempt_path
from grader.quiz.listing import course_quizzes
from grader.quiz.loader import load_quiz
from grader.quiz.models import SCORING_NOTE, MultipleChoice, Numeric, Quiz
from grader.quiz.session import numeric_feedback, show_question
from grader.quiz.variants import QuizVariant, current_user, default_seed, draw, format_number
from grader.quiz.wrap import units, wrap
from tests.quiz.helpers import DATA, QUIZZES
from tests.quiz.terminal import COLUMNS, CTRL_D, Terminal

LETTERS = "abcdefghijklmnopqrstuvwxyz"
SESSION = DATA / "session.toml"
REFERENCE = "session.toml"  # as the learner types it, in the workspace


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(SESSION, tmp_path / REFERENCE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def quiz() -> Quiz:
    return load_quiz(SESSION)


def take(workspace: Path, *args: str) -> Terminal:
    return Terminal(["quiz", REFERENCE, *args], cwd=workspace)


def flat(text: str) -> str:
    """The screen's words in one line, so a sentence can be found wherever it wrapped."""
    return " ".join(text.split())


def letters(variant: QuizVariant, question_id: str, option_ids: list[str]) -> str:
    order = variant.questions[question_id].order
    return " ".join(LETTERS[order.index(option_id)] for option_id in option_ids)


def w_of(variant: QuizVariant) -> float:
    return variant.questions["sgd-step"].params["w"]


def assert_fits(terminal: Terminal) -> None:
    wide = [line for line in terminal.lines if len(line) > COLUMNS]
    assert not wide, f"lines wider than {COLUMNS} columns: {wide}"


def saved_attempt(workspace: Path) -> Attempt:
    return Attempt.model_validate_json(attempt_path(workspace, "session").read_bytes())


def progress(workspace: Path) -> dict[str, dict[str, float]]:
    path = workspace / ".bpgrade" / "progress.json"
    quizzes: dict[str, dict[str, float]] = json.loads(path.read_text())["quizzes"]
    return quizzes


# --- stop, resume, finish ------------------------------------------------------------------


def test_ctrl_c_keeps_the_answers_and_the_next_run_resumes_to_a_review(
    workspace: Path, quiz: Quiz
) -> None:
    variant = draw(quiz, default_seed(current_user(), quiz.id))
    w = w_of(variant)

    with take(workspace) as first:
        first.expect("Your answer (a to c): ")
        first.type_line(letters(variant, "chain", ["slope"]))
        first.expect("✓ Right.")
        first.expect("Your answer (a number): ")
        first.interrupt()
        assert first.wait() == 1
    shown = flat(first.screen)
    assert "Stopped after 1 of 4 questions, with 1 of 1 point so far." in shown
    assert f"Your answers are saved: `bpgrade quiz {REFERENCE}` resumes." in shown
    assert "Traceback" not in shown
    assert_fits(first)
    saved = saved_attempt(workspace)
    assert saved.answers == {"chain": "slope"}
    assert saved.seed == variant.seed
    assert not (workspace / ".bpgrade" / "progress.json").exists()

    with take(workspace) as second:
        second.expect("Resume where you stopped? [Y/n]: ")
        second.type_line("")
        second.expect("Your answer (a number): ")
        second.type_line(format_number(w + 0.5 * 3))  # the step taken up the slope
        second.expect("Your answers (one or more letters): ")
        second.send(CTRL_D)
        assert second.wait() == 1
    shown = flat(second.screen)
    assert "You stopped Session quiz with 1 of 4 questions answered." in shown
    assert "Resumed after 1 of 4 questions, with 1 of 1 point so far." in shown
    assert "Question 1 of 4" not in shown
    assert "Question 2 of 4" in shown
    assert "A flipped sign: that is w + lr * dL/dw" in shown
    assert f"The answer: {format_number(w - 1.5)}" in shown
    assert "Stopped after 2 of 4 questions, with 1 of 2 points so far." in shown
    assert_fits(second)
    typed = float(format_number(w + 1.5))
    assert saved_attempt(workspace).answers == {"chain": "slope", "sgd-step": typed}

    with take(workspace) as third:
        third.expect("Resume where you stopped? [Y/n]: ")
        third.type_line("y")
        third.expect("Your answers (one or more letters): ")
        third.type_line(letters(variant, "backward-gives", ["dw"]))
        third.expect("True or false (t/f): ")
        third.type_line("t")
        assert third.wait() == 0
    shown = flat(third.screen)
    assert "Score: 2.5 / 4" in shown
    assert "2 of 4 questions right. To review:" in shown
    review = shown[shown.index("To review:") :]
    assert "Question 1 (" not in review and "Question 4 (" not in review
    assert "Question 2 (0 of 1 point) One SGD step:" in review
    assert f"You answered: {format_number(w + 1.5)} A flipped sign" in review
    assert "Why: Step against the gradient" in review
    assert "Question 3 (0.5 of 1 point) Which of these does one backward pass compute?" in review
    right = sorted(letters(variant, "backward-gives", ["dw", "dx"]).split())
    assert f"You answered: {letters(variant, 'backward-gives', ['dw'])}" in review
    assert f"The answers: {right[0]}) " in review
    assert "Why: Backprop computes gradients" in review
    assert f"Again with new numbers: `bpgrade quiz {REFERENCE} --new-variant`." in shown
    assert_fits(third)
    assert progress(workspace)["session"]["score"] == 2.5
    assert not attempt_path(workspace, "session").exists()


def test_restart_drops_the_stopped_attempt(workspace: Path, quiz: Quiz) -> None:
    variant = draw(quiz, default_seed(current_user(), quiz.id))
    with take(workspace) as first:
        first.expect("Your answer (a to c): ")
        first.type_line(letters(variant, "chain", ["input"]))
        first.expect("Your answer (a number): ")
        first.interrupt()
        assert first.wait() == 1
    with take(workspace, "--restart") as again:
        again.expect("Your answer (a to c): ")
        again.interrupt()
        assert again.wait() == 1
    shown = flat(again.screen)
    assert "Your stopped attempt (1 of 4 questions answered) is dropped; starting over." in shown
    assert "Resume where you stopped?" not in shown
    assert "Question 1 of 4" in shown
    assert not attempt_path(workspace, "session").exists()  # nothing answered since


def test_declining_to_resume_starts_over(workspace: Path, quiz: Quiz) -> None:
    variant = draw(quiz, default_seed(current_user(), quiz.id))
    with take(workspace) as first:
        first.expect("Your answer (a to c): ")
        first.type_line(letters(variant, "chain", ["slope"]))
        first.expect("Your answer (a number): ")
        first.interrupt()
        first.wait()
    with take(workspace) as second:
        second.expect("Resume where you stopped? [Y/n]: ")
        second.type_line("n")
        second.expect("Question 1 of 4")
        second.expect("Your answer (a to c): ")
        second.interrupt()
        assert second.wait() == 1
    shown = flat(second.screen)
    assert (
        "Starting over. Your stopped attempt is kept until you answer the first question "
        "(stop before that, and it is offered again)."
    ) in shown
    assert "Stopped before the first of 4 questions." in shown
    assert (
        "Your stopped attempt (1 of 4 questions answered) is still kept: "
        f"`bpgrade quiz {REFERENCE}` offers it."
    ) in shown
    assert_fits(second)
    # A "n" typed by mistake lost nothing: the stopped attempt is offered again.
    assert saved_attempt(workspace).answers == {"chain": "slope"}

    # The new attempt's first answer takes its place.
    with take(workspace) as third:
        third.expect("Resume where you stopped? [Y/n]: ")
        third.type_line("n")
        third.expect("Your answer (a to c): ")
        third.type_line(letters(variant, "chain", ["input"]))
        third.expect("Your answer (a number): ")
        third.interrupt()
        assert third.wait() == 1
    assert saved_attempt(workspace).answers == {"chain": "input"}
    assert "Your answers are saved" in flat(third.screen)


def test_ctrl_c_at_the_resume_question_keeps_the_attempt(workspace: Path, quiz: Quiz) -> None:
    variant = draw(quiz, default_seed(current_user(), quiz.id))
    with take(workspace) as first:
        first.expect("Your answer (a to c): ")
        first.type_line(letters(variant, "chain", ["slope"]))
        first.expect("Your answer (a number): ")
        first.interrupt()
        first.wait()
    with take(workspace) as second:
        second.expect("Resume where you stopped? [Y/n]: ")
        second.interrupt()
        assert second.wait() == 1
    assert "Your stopped attempt is kept." in flat(second.screen)
    assert saved_attempt(workspace).answers == {"chain": "slope"}


# --- variants ------------------------------------------------------------------------------


def test_new_variant_asks_new_numbers_and_a_resume_keeps_them(workspace: Path, quiz: Quiz) -> None:
    graded_seed = default_seed(current_user(), quiz.id)
    with take(workspace, "--new-variant") as first:
        first.expect("Your answer (a to c): ")
        first.interrupt()
        first.wait()
    found = re.search(r"New numbers: variant (\d+)", first.screen)
    assert found is not None, first.screen
    seed = int(found.group(1))
    assert seed != graded_seed
    assert f"`bpgrade quiz {REFERENCE} --seed {seed}` asks it again" in flat(first.screen)

    # answered once, so that the attempt is saved with its seed
    variant = draw(quiz, seed)
    with take(workspace, "--seed", str(seed)) as chosen:
        chosen.expect("Your answer (a to c): ")
        chosen.type_line(letters(variant, "chain", ["slope"]))
        chosen.expect("Your answer (a number): ")
        chosen.interrupt()
        chosen.wait()
    assert saved_attempt(workspace).seed == seed

    with take(workspace) as resumed:  # no --seed: the saved attempt's variant, not the user's
        resumed.expect("Resume where you stopped? [Y/n]: ")
        resumed.type_line("")
        resumed.expect("Your answer (a number): ")
        resumed.interrupt()
        resumed.wait()
    assert f"w = {format_number(w_of(variant))}," in flat(resumed.screen)


def test_a_graded_quiz_keeps_the_variant_of_the_student_id(workspace: Path, quiz: Quiz) -> None:
    graded = workspace / "graded.toml"
    graded.write_text(
        SESSION.read_text().replace('id = "session"', 'id = "graded"\ngraded = true', 1)
    )
    runner = CliRunner()
    refused = runner.invoke(main, ["quiz", "graded.toml", "--new-variant"])
    assert refused.exit_code == 2
    assert "graded.toml is graded: its numbers come from your user name" in flat(refused.output)
    assert not attempt_path(workspace, "graded").exists()

    stopped = runner.invoke(main, ["quiz", "graded.toml"], input="a\n")
    assert stopped.exit_code == 1
    seed = Attempt.model_validate_json(attempt_path(workspace, "graded").read_bytes()).seed
    assert seed == default_seed(current_user(), "graded")  # the path grading takes


def test_another_variant_is_refused_while_an_attempt_is_stopped(
    workspace: Path, quiz: Quiz
) -> None:
    """--seed N and --new-variant alike keep a stopped attempt: each says, wrapped to the
    terminal, how to resume it and how to drop it, in the command the learner typed."""
    seed = default_seed(current_user(), quiz.id)
    with take(workspace) as first:
        first.expect("Your answer (a to c): ")
        first.type_line(letters(draw(quiz, seed), "chain", ["slope"]))
        first.expect("Your answer (a number): ")
        first.interrupt()
        first.wait()
    for args, wanted, drop in [
        (["--seed", "5"], "variant 5", "--seed 5 --restart"),
        (["--new-variant"], "new numbers", "--new-variant --restart"),
    ]:
        with take(workspace, *args) as refused:
            assert refused.wait() == 2
        shown = flat(refused.screen)
        assert (
            f"You stopped Session quiz in variant {seed} with 1 of 4 questions answered. "
            f"`bpgrade quiz {REFERENCE}` resumes it; to drop it and start over with {wanted}, "
            f"run `bpgrade quiz {REFERENCE} {drop}`."
        ) in shown
        assert "quiz take" not in shown and "Usage:" not in shown
        assert_fits(refused)
        assert all(not line.endswith("-") for line in refused.lines), refused.screen
        assert saved_attempt(workspace).answers == {"chain": "slope"}

    with take(workspace, "--new-variant", "--restart") as dropped:
        dropped.expect("Your answer (a to c): ")
        dropped.interrupt()
        assert dropped.wait() == 1
    assert "Your stopped attempt (1 of 4 questions answered) is dropped" in flat(dropped.screen)
    assert not attempt_path(workspace, "session").exists()


def test_new_variant_and_seed_cannot_be_combined(workspace: Path) -> None:
    result = CliRunner().invoke(main, ["quiz", REFERENCE, "--new-variant", "--seed", "3"])
    assert result.exit_code == 2
    assert "--new-variant draws its own numbers" in result.output


def test_a_changed_quiz_is_not_resumed(workspace: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["quiz", REFERENCE, "--seed", "0"], input="a\n").exit_code == 1
    assert attempt_path(workspace, "session").exists()
    path = workspace / REFERENCE
    path.write_text(path.read_text().replace("Which factor is da/dz?", "Which one is da/dz?"))
    again = runner.invoke(main, ["quiz", REFERENCE, "--seed", "0"], input="")
    assert "Session quiz changed since your stopped attempt; starting over." in flat(again.output)
    assert "Resume where you stopped?" not in again.output


def test_the_list_agrees_with_the_session_on_what_resumes(workspace: Path) -> None:
    # The workspace is the quiz folder here: its one quiz is session.toml.
    runner = CliRunner()
    assert runner.invoke(main, ["quiz", REFERENCE, "--seed", "0"], input="a\n").exit_code == 1
    [listed] = course_quizzes(workspace, workspace)
    assert (listed.standing, listed.answered) == ("stopped", 1)
    path = workspace / REFERENCE
    path.write_text(path.read_text().replace("Which factor is da/dz?", "Which one is da/dz?"))
    [changed] = course_quizzes(workspace, workspace)
    assert changed.standing == "not_taken"  # `bpgrade quiz` would start it over, not resume


# --- feedback for numeric answers ----------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "said"),
    [
        (lambda w: w + 1.5, "A flipped sign: that is w + lr * dL/dw"),
        (lambda w: w - 3, "The learning rate is missing"),
        (lambda w: w - 1.4, "is not within the tolerance (±0.001) of the answer."),
    ],
)
def test_a_wrong_number_is_told_its_known_mistake_or_its_distance(
    quiz: Quiz, given: object, said: str
) -> None:
    question = quiz.question("sgd-step")
    assert isinstance(question, Numeric)
    variant = draw(quiz, 7).of(question)
    w = variant.params["w"]
    assert callable(given)
    assert said in numeric_feedback(question, given(w), variant)


def test_the_scoring_rule_is_shown_when_asked(
    quiz: Quiz, capsys: pytest.CaptureFixture[str]
) -> None:
    # The session asks for it; a handed-out quiz, scored by the course, does not.
    question = quiz.question("backward-gives")
    assert isinstance(question, MultipleChoice)
    variant = draw(quiz, 0).of(question)
    show_question(question, variant, 1, 4, show_rule=False)
    without = flat(capsys.readouterr().out)
    show_question(question, variant, 1, 4, show_rule=True)
    shown = flat(capsys.readouterr().out)
    assert flat(SCORING_NOTE) in shown and flat(SCORING_NOTE) not in without
    assert without in shown


# --- wrapping ------------------------------------------------------------------------------


def course_texts() -> list[str]:
    texts: list[str] = []
    for path in [*sorted(QUIZZES.glob("*.toml")), SESSION]:
        for question in load_quiz(path).questions:
            texts += [question.prompt, question.explanation]
            if isinstance(question, MultipleChoice):
                texts.append(SCORING_NOTE)
    return texts


@pytest.mark.parametrize("width", [40, 60, 80])
def test_wrapping_never_breaks_a_word_or_a_formula(width: int) -> None:
    for text in course_texts():
        lines = wrap(text, width, "  Why: ", "  ")
        assert " ".join(line.strip() for line in lines) == "Why: " + " ".join(text.split())
        for unit in units(text):
            glued = " ".join(unit)
            if len(glued) <= width - 7:
                assert any(glued in line for line in lines), (glued, lines)
        for line in lines:
            assert len(line) <= width or " " not in line.strip(), line
            words = line.split()
            # Even a formula too wide for the line is never left hanging on an operator.
            assert not _OPERATOR_WORD.match(words[-1]), line


_OPERATOR_WORD = re.compile(r"^(?:[=+\-*/^<>]|\*\*|->)$")


def test_the_session_prompt_is_one_plain_wrapping_breaks(quiz: Quiz) -> None:
    """The control: at 80 columns textwrap alone splits the prompt's formulas."""
    prompt = quiz.questions[0].prompt
    plain = textwrap.wrap(prompt, COLUMNS)
    assert not any("L = (a - y)^2 / 2" in line for line in plain)
    ours = wrap(prompt, COLUMNS)
    assert any("L = (a - y)^2 / 2" in line for line in ours)
    assert any("dL/dw = dL/da * da/dz * dz/dw." in line for line in ours)


def test_the_screen_keeps_formulas_whole_and_tells_the_scoring_rule(
    workspace: Path, quiz: Quiz
) -> None:
    variant = draw(quiz, default_seed(current_user(), quiz.id))
    with take(workspace) as terminal:
        terminal.expect("Your answer (a to c): ")
        terminal.type_line(letters(variant, "chain", ["slope"]))
        terminal.expect("Your answer (a number): ")
        terminal.type_line(format_number(w_of(variant) - 1.5))
        terminal.expect("Your answers (one or more letters): ")
        terminal.interrupt()
        terminal.wait()
    assert_fits(terminal)
    lines = terminal.lines
    assert any("L = (a - y)^2 / 2" in line for line in lines)
    assert any("dL/dw = dL/da * da/dz * dz/dw." in line for line in lines)
    assert any(
        line.startswith("credit-assignment") or " credit-assignment " in line for line in lines
    )
    assert flat(SCORING_NOTE) in flat(terminal.screen)
    intro = flat(terminal.screen)
    assert "Ctrl-C or Ctrl-D stops; your answers are kept." in intro


# --- bpgrade list --------------------------------------------------------------------------


def test_bpgrade_list_shows_the_quizzes_not_taken(workspace: Path) -> None:
    runner = CliRunner()
    before = runner.invoke(main, ["list"], env={"NO_COLOR": "1"})
    assert before.exit_code == 0, before.output
    course = sorted(path.stem for path in QUIZZES.glob("*.toml"))
    assert f"Quizzes: 0 of {len(course)} taken" in before.output
    rows = {line.split()[0]: line for line in before.output.splitlines() if line.startswith("  ")}
    for name in course:
        assert rows[name].endswith("not taken"), rows[name]

    stopped = runner.invoke(main, ["quiz", "chain-rule"], input="a\n")
    assert stopped.exit_code == 1
    answers = workspace / "answers.json"
    answers.write_text("{}")
    # Grading an answers file is no attempt: the list is as it was.
    checked = runner.invoke(main, ["quiz", "pytorch-loop", "--answers", str(answers)])
    assert checked.exit_code == 0, checked.output
    unchanged = runner.invoke(main, ["list"], env={"NO_COLOR": "1"})
    assert f"Quizzes: 0 of {len(course)} taken" in unchanged.output
    record_quiz(workspace, "pytorch-loop", 0.0, 7.0)  # as a finished session records it
    after = runner.invoke(main, ["list"], env={"NO_COLOR": "1"})
    rows = {line.split()[0]: line for line in after.output.splitlines() if line.startswith("  ")}
    assert f"Quizzes: 1 of {len(course)} taken" in after.output
    assert "stopped at 1/" in rows["chain-rule"]
    assert re.search(r"0/\d+ \(\d{4}-\d\d-\d\d\)$", rows["pytorch-loop"]), rows["pytorch-loop"]
    assert rows["backprop"].endswith("not taken")
    assert all(len(line) <= COLUMNS for line in after.output.splitlines())


def test_the_attempt_file_has_a_schema(workspace: Path) -> None:
    result = CliRunner().invoke(main, ["quiz", "schema", "--file", "attempt"])
    assert result.exit_code == 0
    assert json.loads(result.output) == Attempt.model_json_schema()
