"""`bpgrade quiz`, driven through its click group: grading answers files, the interactive
session on stdin, and the list, validate, schema and export subcommands."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from grader.cli.quiz import quiz
from grader.progress import record_quiz
from grader.quiz.attempt import attempt_path
from grader.quiz.loader import load_quiz
from grader.quiz.variants import default_seed, draw
from tests.quiz.helpers import EXAMPLE, QUIZZES, REPO

LETTERS = "abcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty workspace as the current folder, so progress lands there."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(
    *args: str, input: str | None = None, env: dict[str, str | None] | None = None
) -> Result:
    return CliRunner().invoke(quiz, list(args), input=input, env=env, catch_exceptions=False)


def write_answers(folder: Path, answers: dict[str, object]) -> str:
    path = folder / "answers.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    return str(path)


def progress(workspace: Path) -> dict[str, dict[str, float]]:
    quizzes: dict[str, dict[str, float]] = json.loads(
        (workspace / ".bpgrade" / "progress.json").read_text()
    )["quizzes"]
    return quizzes


# --- grading an answers file ---------------------------------------------------------------

ANSWERS = {
    "loss-input": "a",
    "backward-computes": ["a", "c"],
    "grads-accumulate": True,
    "sigmoid-slope-max": 0.251,
    "neuron-dw": -0.25,
}


def test_json_output_has_the_shape_of_issue_3(workspace: Path) -> None:
    result = invoke(
        str(EXAMPLE), "--answers", write_answers(workspace, ANSWERS), "--seed", "0", "--json"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) == {"quiz", "seed", "score", "max_score", "questions"}
    assert report["quiz"] == "example"
    assert (report["score"], report["max_score"]) == (4.0, 7.0)
    for question in report["questions"]:
        assert set(question) == {"id", "score", "max_score", "correct", "params"}
    by_id = {q["id"]: q for q in report["questions"]}
    assert by_id["neuron-dw"]["params"] == {"w": 0.1, "b": -0.1, "x": 1.0}
    assert by_id["neuron-dw"]["correct"] is True
    assert by_id["backward-computes"] == {
        "id": "backward-computes",
        "score": 0.0,
        "max_score": 2.0,
        "correct": False,
        "params": {},
    }
    assert by_id["loop-order"]["score"] == 0.0  # unanswered
    assert not (workspace / ".bpgrade").exists()  # a file graded is no attempt of the learner's


def test_plain_output_lists_each_question(workspace: Path) -> None:
    result = invoke(str(EXAMPLE), "--answers", write_answers(workspace, ANSWERS), "--seed", "0")
    assert result.exit_code == 0
    assert "✓ loss-input: 1/1" in result.output
    assert "✗ backward-computes: 0/2" in result.output
    assert result.output.strip().endswith("Score: 4 / 7")


def test_the_default_seed_comes_from_the_user_name(workspace: Path) -> None:
    env: dict[str, str | None] = {"LOGNAME": "ada", "USER": "ada", "LNAME": None, "USERNAME": None}
    answers = write_answers(workspace, {})
    result = invoke(str(EXAMPLE), "--answers", answers, "--json", env=env)
    assert json.loads(result.output)["seed"] == default_seed("ada", "example")


def test_a_quiz_is_found_by_name_in_the_course(workspace: Path) -> None:
    course = workspace / "course"
    (course / "quizzes").mkdir(parents=True)
    shutil.copy(EXAMPLE, course / "quizzes" / "example.toml")
    answers = write_answers(workspace, {"loss-input": "a"})
    result = invoke("example", "--answers", answers, "--json", env={"BPGRADE_COURSE": str(course)})
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["score"] == 1.0
    missing = invoke("nonesuch", env={"BPGRADE_COURSE": str(course)})
    assert missing.exit_code == 2
    assert "no quiz of that name" in missing.output and "example" in missing.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"no-such-question": "a"}', "has no question 'no-such-question'"),
        # Every step, and one the question leaves out: refused, not a silent 0.
        (
            '{"loop-order": ["forward", "loss", "backward", "step", "zero_grad"]}',
            "question 'loop-order' has no step 'zero_grad': list its 4 steps only, each once, "
            "in order",
        ),
        ('{"loss-input": "z"}', "question 'loss-input' has no option 'z'"),
        ('{"backward-computes": ["a", "x", "y", "x"]}', "has no options 'x', 'y'"),
        ("[1, 2]", "not a JSON object"),
        ("{not json", "not a JSON object"),
        ('{"loss-input": {"a": 1}}', "not a JSON object"),
    ],
)
def test_a_bad_answers_file_exits_2(workspace: Path, content: str, message: str) -> None:
    path = workspace / "answers.json"
    path.write_text(content)
    result = invoke(str(EXAMPLE), "--answers", str(path))
    assert result.exit_code == 2
    assert message in result.output


def test_json_without_answers_is_a_usage_error(workspace: Path) -> None:
    result = invoke(str(EXAMPLE), "--json")
    assert result.exit_code == 2
    assert "--answers" in result.output


def test_an_invalid_quiz_file_exits_2(workspace: Path) -> None:
    bad = workspace / "bad.toml"
    bad.write_text(EXAMPLE.read_text().replace("points = 2", "points = -2"))
    result = invoke(str(bad), "--answers", write_answers(workspace, {}))
    assert result.exit_code == 2
    assert f'{bad}:19: question "backward-computes", field "points"' in result.output


# --- the interactive session ---------------------------------------------------------------


def letters_for(option_ids: list[str], order: tuple[str, ...]) -> str:
    return " ".join(LETTERS[order.index(option_id)] for option_id in option_ids)


def example_replies(seed: int) -> list[str]:
    """Right answers for every question, each after one reply that cannot be read."""
    variant = draw(load_quiz(EXAMPLE), seed).questions
    return [
        "zz",
        letters_for(["a"], variant["loss-input"].order),
        "",
        letters_for(["a", "b"], variant["backward-computes"].order).replace(" ", ","),
        "maybe",
        "t",
        "abc",
        "1/4",
        "-0.25",
        "a b",
        letters_for(["forward", "loss", "backward", "step"], variant["loop-order"].order),
    ]


def test_the_session_asks_again_after_bad_input_and_scores(workspace: Path) -> None:
    result = invoke(str(EXAMPLE), "--seed", "0", input="\n".join(example_replies(0)) + "\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Question 1 of 6" in out and "Question 6 of 6" in out
    assert "Type one letter, a to c." in out
    assert "Type one or more letters from a to d" in out
    assert "Type t or f" in out
    assert "Type a number" in out
    assert "Type all 4 letters once each" in out
    assert out.count("✓ Right.") == 6
    assert "Why: The loss compares the network's prediction with the target." in out
    assert "Score: 7 / 7 (100%)" in out
    assert progress(workspace)["example"]["score"] == 7.0


def test_the_review_of_an_order_spells_out_the_steps(workspace: Path) -> None:
    # By the review the question's lettered steps have scrolled away: "You answered: a c d b
    # / The order: b d c a" alone could not be read.
    order = draw(load_quiz(EXAMPLE), 0).questions["loop-order"].order
    replies = example_replies(0)
    wrong = ["step", "backward", "loss", "forward"]
    replies[-1] = letters_for(wrong, order)
    result = invoke(str(EXAMPLE), "--seed", "0", input="\n".join(replies) + "\n")
    assert result.exit_code == 0, result.output
    review = result.output[result.output.index("To review:") :]
    texts = {
        "forward": "pred = model(X)",
        "loss": "loss = loss_fn(pred, y)",
        "backward": "loss.backward()",
        "step": "optimizer.step()",
    }

    def spelt(ids: list[str]) -> list[str]:
        return [f"    {LETTERS[order.index(i)]}) {texts[i]}" for i in ids]

    right = ["forward", "loss", "backward", "step"]
    lines = review.splitlines()
    given = lines.index(f"  You answered: {letters_for(wrong, order)}")
    assert lines[given + 1 : given + 5] == spelt(wrong)
    key = lines.index(f"  The order: {letters_for(right, order)}")
    assert lines[key + 1 : key + 5] == spelt(right)
    assert lines[key + 5].startswith("  Why: Forward, loss, backward, update.")


def test_a_wrong_answer_shows_feedback_the_right_answer_and_why(workspace: Path) -> None:
    order = draw(load_quiz(EXAMPLE), 0).questions["loss-input"].order
    result = invoke(str(EXAMPLE), "--seed", "0", input=letters_for(["c"], order) + "\n")
    out = result.output
    assert "✗ Wrong." in out
    assert "The learning rate is used by the update, not the loss." in out
    right = LETTERS[order.index("a")]
    assert f"The answer: {right}) The prediction and the target" in out
    assert "Why: The loss compares" in out


def test_partial_credit_is_reported(workspace: Path) -> None:
    variant = draw(load_quiz(EXAMPLE), 0).questions
    replies = [letters_for(["a"], variant["loss-input"].order)]
    replies.append(letters_for(["a"], variant["backward-computes"].order))
    result = invoke(str(EXAMPLE), "--seed", "0", input="\n".join(replies) + "\n")
    assert "◑ Partly right: 1/2 points." in result.output


def test_end_of_input_stops_cleanly_with_exit_1(workspace: Path) -> None:
    order = draw(load_quiz(EXAMPLE), 0).questions["loss-input"].order
    result = invoke(str(EXAMPLE), "--seed", "0", input=letters_for(["a"], order) + "\n")
    assert result.exit_code == 1
    assert "Stopped after 1 of 6 questions, with 1 of 1 point so far." in result.output
    assert "Your answers are saved" in result.output
    # kept to resume, not recorded as a finished attempt
    assert (workspace / ".bpgrade" / "quiz-example.json").is_file()
    assert not (workspace / ".bpgrade" / "progress.json").exists()


def test_stopping_before_any_answer(workspace: Path) -> None:
    result = invoke(str(EXAMPLE), input="")
    assert result.exit_code == 1
    assert "Stopped before the first of 6 questions." in result.output


def test_no_color_strips_colour(workspace: Path) -> None:
    runner = CliRunner()
    coloured = runner.invoke(quiz, [str(EXAMPLE)], input="", color=True, env={"NO_COLOR": None})
    assert "\x1b[" in coloured.output
    plain = runner.invoke(quiz, [str(EXAMPLE)], input="", color=True, env={"NO_COLOR": "1"})
    assert "\x1b[" not in plain.output


def test_a_real_process_on_a_pipe_stops_without_a_traceback(tmp_path: Path) -> None:
    code = "from grader.cli.quiz import quiz; quiz()"
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    run = subprocess.run(
        [sys.executable, "-c", code, str(EXAMPLE), "--seed", "0"],
        input="zz\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stdout + run.stderr
    assert "Type one letter" in run.stdout
    assert "Stopped before the first of 6 questions." in run.stdout


# --- list, validate, schema ----------------------------------------------------------------


def test_list_shows_the_quizzes_and_the_latest_score(workspace: Path) -> None:
    before = invoke("list")
    assert before.exit_code == 0
    assert "backprop" in before.output and "not taken" in before.output
    record_quiz(workspace, "chain-rule", 0.0, 7.0)
    after = invoke("list")
    line = next(line for line in after.output.splitlines() if line.startswith("chain-rule"))
    assert " 0/7 (" in line


def test_quiz_alone_lists_the_quizzes_and_says_how_to_take_one(workspace: Path) -> None:
    alone = invoke()
    assert alone.exit_code == 0
    assert alone.output.startswith(invoke("list").output.split("\n")[0])
    assert "not taken" in alone.output and "`bpgrade quiz backprop` takes one" in alone.output
    assert "Usage:" not in alone.output
    assert "Usage:" in invoke("--help").output


def test_grading_an_answers_file_leaves_the_progress_and_the_stopped_attempt(
    workspace: Path,
) -> None:
    """--answers grades a file: the learner's finished score (28 of the bank's points here) and
    their stopped attempt are theirs, and stay as they were."""
    bank = load_quiz(QUIZZES / "backprop.toml")
    total = sum(question.points for question in bank.questions)  # grows as the bank does
    record_quiz(workspace, "backprop", 28.0, total)
    stopped = invoke(str(QUIZZES / "backprop.toml"), "--seed", "0", input="a\n")
    assert stopped.exit_code == 1
    attempt = attempt_path(workspace, "backprop")
    saved = attempt.read_bytes()
    graded = invoke(str(QUIZZES / "backprop.toml"), "--answers", write_answers(workspace, {}))
    assert graded.exit_code == 0 and f"Score: 0 / {total:g}" in graded.output
    assert progress(workspace)["backprop"]["score"] == 28.0
    assert attempt.read_bytes() == saved
    line = next(line for line in invoke("list").output.splitlines() if "backprop" in line)
    assert f"28/{total:g}" in line and "stopped at 1/" in line


def test_validate_the_course_quizzes(workspace: Path) -> None:
    result = invoke("validate", str(QUIZZES))
    assert result.exit_code == 0, result.output
    assert f"ok  {QUIZZES / 'backprop.toml'}" in result.output
    assert invoke("validate").exit_code == 0  # no paths: the course's quizzes


def test_validate_exits_2_when_anything_is_invalid(workspace: Path) -> None:
    bad = workspace / "bad.toml"
    bad.write_text(EXAMPLE.read_text().replace('type = "ordering"', 'type = "sorting"'))
    result = invoke("validate", str(EXAMPLE), str(bad))
    assert result.exit_code == 2
    assert f"ok  {EXAMPLE}" in result.output
    assert f'{bad}:55: question "loop-order", field "type": unknown question type' in result.output
    assert "1 of 2 quiz files are invalid" in result.output
    assert invoke("validate", str(workspace / "missing.toml")).exit_code == 2


def test_one_question_is_said_in_the_singular(workspace: Path) -> None:
    one = workspace / "one.toml"
    one.write_text(
        'id = "one"\ntitle = "One"\n\n[[questions]]\nid = "q"\ntype = "true_false"\n'
        'prompt = "True?"\nanswer = true\nexplanation = "It is."\n'
    )
    assert f"ok  {one} (1 question)\n" in invoke("validate", str(one)).output
    taken = invoke(str(one), input="f\n")
    assert "1 question, 1 point." in taken.output
    assert "0 of 1 question right. To review:" in taken.output
    assert "questions" not in taken.output


def test_schema_is_the_json_schema_of_the_models(workspace: Path) -> None:
    schema = json.loads(invoke("schema").output)
    questions = schema["properties"]["questions"]["items"]
    assert set(questions["discriminator"]["mapping"]) == {
        "single_choice",
        "multiple_choice",
        "true_false",
        "numeric",
        "ordering",
    }
    assert {"Option", "Item", "Range", "Choices"} <= set(schema["$defs"])
    answers = json.loads(invoke("schema", "--file", "answers").output)
    assert answers["type"] == "object"
    result = json.loads(invoke("schema", "--file", "result").output)
    assert set(result["required"]) >= {"quiz", "score", "max_score", "questions"}


def test_a_subcommand_name_is_not_taken_for_a_quiz(workspace: Path) -> None:
    assert "Usage" in invoke("--help").output
    assert invoke("take", str(EXAMPLE), "--answers", write_answers(workspace, {})).exit_code == 0


def test_imports_stay_light(tmp_path: Path) -> None:
    code = """
import sys
import grader.cli.quiz as cli
light = "pydantic" not in sys.modules
cli.quiz(["validate", sys.argv[1]], standalone_mode=False)
# numpy is welcome: validation proves each numeric question over its whole grid with it.
heavy = sorted(m for m in ("torch", "grader.quiz.export.qti") if m in sys.modules)
print(light, heavy)
"""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [sys.executable, "-c", code, str(QUIZZES)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
        timeout=60,
    )
    assert run.stdout.strip().splitlines()[-1] == "True []"


def test_taking_a_quiz_does_not_prove_its_grid(tmp_path: Path) -> None:
    # Proving every variant (NumPy, grader.quiz.grid) is validate's and export's work: a
    # learner taking or grading one variant does not wait for it.
    code = """
import sys
import grader.cli.quiz as cli
try:
    cli.quiz(["take", sys.argv[1], "--answers", sys.argv[2]], standalone_mode=False)
except SystemExit as stop:
    assert not stop.code, stop.code
print(sorted(m for m in ("grader.quiz.grid", "numpy") if m in sys.modules))
"""
    answers = write_answers(tmp_path, {})
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [sys.executable, "-c", code, str(QUIZZES / "backprop.toml"), answers],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
        timeout=60,
    )
    assert run.stdout.strip().splitlines()[-1] == "[]"
