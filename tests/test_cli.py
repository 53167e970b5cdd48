"""The `bpgrade` command as a learner meets it: a few real runs of the installed script, the
rest through click's CliRunner, each in its own workspace so progress files never leak."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from grader.catalog import Catalog
from grader.cli import main

from .conftest import EXERCISES, SOLUTIONS, course_total
from .conftest import on_a_terminal as terminal

ANSI = re.compile(r"\x1b\[[0-9;]*m")

TRANSPOSED_DW = """\
import numpy as np


def linear_forward(X, W, b):
    return X @ W.T + b


def linear_backward(dZ, X, W):
    dX = dZ @ W
    dW = X.T @ dZ
    db = dZ.sum(axis=0)
    return dX, dW, db
"""

FORWARD_RAISES = """\
import numpy as np


def linear_forward(X, W, b):
    return X @ W + b


def linear_backward(dZ, X, W):
    raise NotImplementedError
"""


def _script() -> list[str]:
    installed = Path(sys.executable).parent / ("bpgrade.exe" if os.name == "nt" else "bpgrade")
    if installed.is_file():
        return [str(installed)]
    found = shutil.which("bpgrade")
    return [found] if found else [sys.executable, "-m", "grader"]


def bpgrade(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed console script, in `cwd`, with stdout a pipe (not a terminal)."""
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "BPGRADE_COURSE")}
    environment.update(env or {})
    return subprocess.run(
        [*_script(), *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A learner's workspace: the untouched exercises, and the cwd of every CliRunner call."""
    shutil.copytree(EXERCISES, tmp_path / "exercises")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("BPGRADE_COURSE", raising=False)
    return tmp_path


def invoke(*args: str, color: bool = False, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), color=color, env=env, catch_exceptions=False)


def unwrapped(text: str) -> str:
    """`text` with its lines joined again, as it was before it was wrapped to the terminal."""
    return " ".join(text.split())


def as_report(result: Result) -> dict[str, Any]:
    return json.loads(result.stdout)


def checks_of(report: dict[str, Any], exercise: str) -> dict[str, dict[str, Any]]:
    [entry] = [e for e in report["exercises"] if e["name"] == exercise]
    return {c["name"]: c for c in entry["checks"]}


def submission(root: Path, files: dict[str, str], with_solutions: bool = False) -> Path:
    """A submission folder: optionally every reference solution, then `files` on top."""
    folder = root / "submission"
    if with_solutions:
        shutil.copytree(SOLUTIONS, folder)
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


# --- the installed script, end to end ----------------------------------------------------------


def test_solutions_score_full_marks_as_json(tmp_path: Path, catalog: Catalog) -> None:
    done = bpgrade(tmp_path, "check", "--all", "--dir", str(SOLUTIONS), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report) >= {"score", "max_score", "exercises"}
    assert report["max_score"] > 0
    assert report["score"] == report["max_score"]
    assert [e["name"] for e in report["exercises"]] == [e.name for e in catalog.exercises]
    for exercise, entry in zip(report["exercises"], catalog.exercises, strict=True):
        assert set(exercise) >= {"name", "title", "file", "status", "score", "max_score", "checks"}
        assert exercise["title"] == entry.title
        assert exercise["status"] == "passed"
        assert exercise["score"] == exercise["max_score"] == entry.max_score
        assert [c["name"] for c in exercise["checks"]] == [c.name for c in entry.checks]
        advice = {c.name for c in entry.checks if c.advice}  # worth no points
        for check in exercise["checks"]:
            assert set(check) >= {"name", "passed", "score", "max_score", "message", "diagnosis"}
            assert check["passed"] is True
            assert check["score"] == check["max_score"]
            assert (check["max_score"] == 0) == (check["name"] in advice)
            assert isinstance(check["message"], str)
            assert check["diagnosis"] is None
    assert report["score"] == sum(e["score"] for e in report["exercises"])


def test_untouched_exercises_are_not_started(tmp_path: Path, catalog: Catalog) -> None:
    shutil.copytree(EXERCISES, tmp_path / "exercises")
    done = bpgrade(tmp_path, "check", "--all", "--json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["score"] == 0
    assert len(report["exercises"]) == len(catalog.exercises)
    for exercise in report["exercises"]:
        assert exercise["status"] == "not_started"
        assert exercise["score"] == 0
        assert all(not c["passed"] and c["score"] == 0 for c in exercise["checks"])
    assert (tmp_path / ".bpgrade" / "progress.json").is_file()


def test_no_colour_when_stdout_is_not_a_terminal(tmp_path: Path) -> None:
    folder = submission(tmp_path, {"exercise03_linear.py": TRANSPOSED_DW})
    done = bpgrade(tmp_path, "check", "3", "--dir", str(folder))
    assert done.returncode == 1
    assert "Likely mistake: dW has the right numbers but is transposed" in done.stdout
    assert not ANSI.search(done.stdout + done.stderr)


def test_python_dash_m_grader_works_too(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "grader", "check", "1", "--dir", str(SOLUTIONS), "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["exercises"][0]["name"] == "exercise01"


# --- choosing exercises ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["exercise03", "3", "03", "exercise03_linear"])
def test_name_forms_select_exercise03(workspace: Path, name: str) -> None:
    result = invoke("check", name, "--dir", str(SOLUTIONS), "--json")
    assert result.exit_code == 0, result.output
    assert [e["name"] for e in as_report(result)["exercises"]] == ["exercise03"]


def test_the_same_exercise_named_twice_is_checked_once(workspace: Path) -> None:
    result = invoke("check", "3", "exercise03", "--dir", str(SOLUTIONS), "--json")
    assert result.exit_code == 0
    assert [e["name"] for e in as_report(result)["exercises"]] == ["exercise03"]


def test_several_names_keep_their_order(workspace: Path) -> None:
    result = invoke("check", "4", "2", "--dir", str(SOLUTIONS), "--json")
    assert result.exit_code == 0
    assert [e["name"] for e in as_report(result)["exercises"]] == ["exercise04", "exercise02"]


def test_an_unknown_name_lists_the_valid_ones_and_suggests_the_closest(
    workspace: Path, catalog: Catalog
) -> None:
    result = invoke("check", "exercize03")
    assert result.exit_code == 2
    assert "exercize03" in result.output
    assert "Did you mean exercise03?" in result.output
    for entry in catalog.exercises:
        assert entry.name in result.output
    assert not (workspace / ".bpgrade").exists()


def test_an_unknown_name_with_nothing_close(workspace: Path) -> None:
    result = invoke("check", "zzzzzz")
    assert result.exit_code == 2
    assert "Did you mean" not in result.output
    assert "exercise01" in result.output


def test_no_name_checks_the_exercise_the_learner_is_on(workspace: Path) -> None:
    result = invoke("check")
    assert result.exit_code == 1
    assert "Checking exercise01, the first exercise not passed yet." in result.output
    assert "exercise01  One neuron and the chain rule" in result.output
    assert "Next: write exercises/exercise01_chain_rule.py" in result.output  # with its folder


def test_dir_pointing_at_a_missing_folder_is_bad_usage(workspace: Path) -> None:
    result = invoke("check", "--all", "--dir", "no_such_folder")
    assert result.exit_code == 2
    assert "no_such_folder" in result.output
    assert not (workspace / ".bpgrade").exists()


def test_hint_for_an_unknown_name_is_bad_usage(workspace: Path) -> None:
    result = invoke("hint", "exercize03")
    assert result.exit_code == 2
    assert "Did you mean exercise03?" in result.output


# --- grading a submission ----------------------------------------------------------------------


def test_a_transposed_gradient_fails_with_its_diagnosis(workspace: Path) -> None:
    folder = submission(workspace, {"exercise03_linear.py": TRANSPOSED_DW})
    result = invoke("check", "exercise03", "--dir", str(folder), "--json")
    assert result.exit_code == 1
    report = as_report(result)
    [exercise] = report["exercises"]
    assert exercise["status"] == "failed"
    checks = checks_of(report, "exercise03")
    assert checks["linear_backward.dW"]["passed"] is False
    assert checks["linear_backward.dW"]["diagnosis"] == "transposed"
    assert checks["linear_backward.dW"]["score"] == 0
    others = {name: c["passed"] for name, c in checks.items() if name != "linear_backward.dW"}
    assert others and all(others.values()), others
    assert exercise["score"] == exercise["max_score"] - checks["linear_backward.dW"]["max_score"]
    assert report["score"] == exercise["score"]


def test_human_output_of_a_failing_check(workspace: Path) -> None:
    folder = submission(workspace, {"exercise03_linear.py": TRANSPOSED_DW})
    result = invoke("check", "exercise03", "--dir", str(folder))
    assert result.exit_code == 1
    out = result.output
    assert re.search(r"linear_backward\(dZ \(\d+, \d+\), X \(\d+, \d+\), W \(\d+, \d+\)\)", out)
    assert "expected" in out
    assert "received" in out
    assert re.search(r"expected shape \((\d+), (\d+)\), received \(\2, \1\)", out)
    assert "Likely mistake: dW has the right numbers but is transposed" in out
    assert "bpgrade hint exercise03" in out


def test_the_terminal_shows_each_failing_checks_message_whole(workspace: Path) -> None:
    """With -v, the terminal renders the library's feedback in parts, which gives back every
    word of the JSON report's message in order, wrapped to the terminal (a wrong gradient,
    and an exception with its traceback)."""
    for number, text in enumerate((TRANSPOSED_DW, FORWARD_RAISES)):
        (workspace / str(number)).mkdir()
        folder = submission(workspace / str(number), {"exercise03_linear.py": text})
        report = as_report(invoke("check", "3", "--dir", str(folder), "--json"))
        out = invoke("check", "3", "--dir", str(folder), "-v", env={"COLUMNS": "120"}).output
        failing = [c for e in report["exercises"] for c in e["checks"] if not c["passed"]]
        assert failing
        for check in failing:
            assert " ".join(check["message"].split()) in " ".join(out.split())


def test_a_learner_exception_shows_the_learners_file_line_and_code(workspace: Path) -> None:
    folder = submission(workspace, {"exercise03_linear.py": FORWARD_RAISES})
    result = invoke("check", "3", "--dir", str(folder))
    assert result.exit_code == 1
    out = result.output
    # the call with its shapes, then what it raised
    assert re.search(
        r"linear_forward\(X \(\d+, \d+\), W \(\d+, \d+\), b \(\d+,\)\) raised ValueError", out
    )
    assert "exercise03_linear.py, line 5, in linear_forward" in out
    assert "return X @ W + b" in out
    assert "Traceback" not in out
    assert "grader" not in out.replace("bpgrade", "")
    assert "runner.py" not in out
    assert "not implemented yet" in out  # linear_backward is a stub: not an error


def test_a_syntax_error_is_an_error_and_the_others_still_grade(workspace: Path) -> None:
    broken = "import numpy as np\n\n\ndef linear_forward(X, W, b)\n    return X @ W.T + b\n"
    folder = submission(workspace, {"exercise03_linear.py": broken}, with_solutions=True)
    result = invoke("check", "--all", "--dir", str(folder), "--json")
    assert result.exit_code == 1
    report = as_report(result)
    statuses = {e["name"]: e["status"] for e in report["exercises"]}
    assert statuses.pop("exercise03") == "error"
    assert set(statuses.values()) == {"passed"}
    [exercise03] = [e for e in report["exercises"] if e["name"] == "exercise03"]
    assert exercise03["score"] == 0
    assert "syntax error" in exercise03["error"]
    assert "line 4" in exercise03["error"]
    assert "def linear_forward(X, W, b)" in exercise03["error"]
    human = invoke("check", "--all", "--dir", str(folder))
    assert human.exit_code == 1
    assert "line 4" in human.output
    assert re.search(r"exercise03 .* error", human.output)


def test_sys_exit_at_import_is_an_error_not_an_exit(workspace: Path) -> None:
    quitter = "import sys\n\nsys.exit(0)\n"
    folder = submission(workspace, {"exercise04_losses.py": quitter}, with_solutions=True)
    result = invoke("check", "--all", "--dir", str(folder), "--json")
    assert result.exit_code == 1
    report = as_report(result)
    statuses = {e["name"]: e["status"] for e in report["exercises"]}
    assert statuses.pop("exercise04") == "error"
    assert set(statuses.values()) == {"passed"}
    [exercise04] = [e for e in report["exercises"] if e["name"] == "exercise04"]
    assert "sys.exit" in exercise04["error"]
    assert re.search(r"\bcalled sys\.exit\b.*\bimported\b", exercise04["error"])


def test_a_learner_print_does_not_spoil_the_json_report(workspace: Path) -> None:
    chatty = (SOLUTIONS / "exercise03_linear.py").read_text(encoding="utf-8")
    chatty = chatty.replace("import numpy as np\n", "import numpy as np\n\nprint('hello')\n", 1)
    chatty = chatty.replace(
        "    return X @ W.T + b", "    print('debug', X.shape)\n    return X @ W.T + b"
    )
    folder = submission(workspace, {"exercise03_linear.py": chatty})
    result = invoke("check", "3", "--dir", str(folder), "--json")
    assert result.exit_code == 0
    assert as_report(result)["exercises"][0]["status"] == "passed"


# --- hints -------------------------------------------------------------------------------------


def test_hints_are_revealed_one_at_a_time(workspace: Path, catalog: Catalog) -> None:
    entry = catalog.find("exercise03")
    assert entry is not None
    total = len(entry.hints)
    assert total >= 2
    for shown in range(1, total + 1):
        result = invoke("hint", "exercise03")
        assert result.exit_code == 0
        for number in range(1, shown + 1):
            assert f"Hint {number}/{total}:" in result.output
        assert f"Hint {shown + 1}/{total}:" not in result.output
        assert unwrapped(entry.hints[shown - 1].text) in unwrapped(result.output)
    assert "That was the last hint." in result.output
    again = invoke("hint", "3")
    assert again.exit_code == 0
    assert f"Hint {total}/{total}:" in again.output
    assert f"Hint {total + 1}/" not in again.output
    assert "That was the last hint." in again.output
    saved = json.loads((workspace / ".bpgrade" / "progress.json").read_text())
    assert saved["hints_shown"]["exercise03"] == total


def test_hint_reset_starts_over(workspace: Path, catalog: Catalog) -> None:
    entry = catalog.find("exercise03")
    assert entry is not None
    total = len(entry.hints)
    invoke("hint", "exercise03")
    invoke("hint", "exercise03")
    reset = invoke("hint", "exercise03", "--reset")
    assert reset.exit_code == 0
    assert "Hint 1/" not in reset.output
    after = invoke("hint", "exercise03")
    assert f"Hint 1/{total}:" in after.output
    assert f"Hint 2/{total}:" not in after.output


def test_hints_are_kept_per_exercise(workspace: Path, catalog: Catalog) -> None:
    invoke("hint", "3")
    invoke("hint", "3")
    other = invoke("hint", "exercise02")
    total = len(catalog.exercises[1].hints)
    assert f"Hint 1/{total}:" in other.output
    assert f"Hint 2/{total}:" not in other.output


# --- progress ----------------------------------------------------------------------------------


def test_list_before_any_check(workspace: Path, catalog: Catalog) -> None:
    result = invoke("list")
    assert result.exit_code == 0
    assert f"0 of {len(catalog.exercises)} passed" in result.output
    for entry in catalog.exercises:
        assert entry.name in result.output
        assert entry.title in result.output
    assert "not checked" in result.output


def test_list_shows_progress_after_a_check(workspace: Path, catalog: Catalog) -> None:
    n = len(catalog.exercises)
    shutil.copy(SOLUTIONS / "exercise03_linear.py", workspace / "exercises")
    assert invoke("check", "exercise03").exit_code == 0
    assert invoke("check", "exercise01").exit_code == 1
    assert (workspace / ".bpgrade" / "progress.json").is_file()
    result = invoke("list")
    assert result.exit_code == 0
    assert f"1 of {n} passed" in result.output
    [row3] = [line for line in result.output.splitlines() if "exercise03" in line]
    assert "10/10" in row3
    assert "passed" in row3
    [row1] = [line for line in result.output.splitlines() if "exercise01" in line]
    assert "0/10" in row1
    assert "not started" in row1


def test_list_does_not_mix_up_dir_solutions_with_the_learners_exercises(
    workspace: Path, catalog: Catalog
) -> None:
    n = len(catalog.exercises)
    assert invoke("check", "--all", "--dir", str(SOLUTIONS)).exit_code == 0
    mine = invoke("list")
    assert f"0 of {n} passed" in mine.output
    assert "passed" not in mine.output.replace(f"0 of {n} passed", "")
    theirs = invoke("list", "--dir", str(SOLUTIONS))
    assert f"{n} of {n} passed" in theirs.output
    # and the learner's own check afterwards leaves the solutions' record alone
    assert invoke("check", "--all").exit_code == 1
    assert f"{n} of {n} passed" in invoke("list", "--dir", str(SOLUTIONS)).output
    assert f"0 of {n} passed" in invoke("list").output


def test_a_damaged_progress_file_is_a_fresh_start(workspace: Path, catalog: Catalog) -> None:
    state = workspace / ".bpgrade" / "progress.json"
    state.parent.mkdir()
    state.write_text("{ not json", encoding="utf-8")
    result = invoke("list")
    assert result.exit_code == 0
    assert f"0 of {len(catalog.exercises)} passed" in result.output
    assert invoke("hint", "3").exit_code == 0


# --- colour ------------------------------------------------------------------------------------


def test_colour_on_a_terminal(workspace: Path) -> None:
    """The control for the tests below: with a terminal (color=True) there is colour."""
    folder = submission(workspace, {"exercise03_linear.py": TRANSPOSED_DW})
    result = invoke("check", "3", "--dir", str(folder), color=True)
    assert result.exit_code == 1
    assert ANSI.search(result.output)


@pytest.mark.parametrize("command", [("check", "3"), ("list",), ("hint", "3")])
def test_no_color_is_honoured_even_on_a_terminal(workspace: Path, command: tuple[str, ...]) -> None:
    folder = submission(workspace, {"exercise03_linear.py": TRANSPOSED_DW})
    args = [*command, "--dir", str(folder)] if command[0] == "check" else list(command)
    result = invoke(*args, color=True, env={"NO_COLOR": "1"})
    assert result.output.strip()
    assert not ANSI.search(result.output)


def test_no_colour_without_a_terminal_under_clirunner(workspace: Path) -> None:
    folder = submission(workspace, {"exercise03_linear.py": TRANSPOSED_DW})
    result = invoke("check", "3", "--dir", str(folder), color=False)
    assert "Likely mistake: dW has the right numbers but is transposed" in result.output
    assert not ANSI.search(result.output)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_colour_on_a_real_terminal_and_no_color_there(tmp_path: Path) -> None:
    def on_a_terminal(env: dict[str, str]) -> str:
        environment = {
            k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "BPGRADE_COURSE")
        }
        environment.update(env, TERM="xterm")
        status, written = terminal([*_script(), "list"], tmp_path, environment, timeout=60)
        assert status == 0
        return written.decode("utf-8", "replace")

    assert ANSI.search(on_a_terminal({}))
    assert not ANSI.search(on_a_terminal({"NO_COLOR": "1"}))


def test_a_platform_run_grades_the_quiz_answers_handed_in(tmp_path: Path, catalog: Catalog) -> None:
    """A submission with answers/<quiz>.json: the quiz is graded into the same results file."""
    submission = tmp_path / "submission"
    (submission / "answers").mkdir(parents=True)
    for solution in SOLUTIONS.glob("exercise*.py"):
        shutil.copy(solution, submission)
    answers = {"local-derivative": "x"}  # one right answer; the rest left out score 0
    (submission / "answers" / "chain-rule.json").write_text(json.dumps(answers))
    results = tmp_path / "results" / "results.json"
    done = bpgrade(
        tmp_path, "check", "--all", "--dir", str(submission), "--format", "gradescope",
        "--student-id", "s1", env={"BPGRADE_OUTPUT": str(results)},
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # the quiz is not all right
    graded = json.loads(results.read_text())
    quiz = [t for t in graded["tests"] if "chain-rule" in t["name"]]
    assert len(quiz) == 1
    assert quiz[0]["score"] == 1.0 and quiz[0]["max_score"] > 1.0
    assert graded["score"] == pytest.approx(course_total(catalog) + 1.0)


def test_the_next_step_after_answers_not_graded_is_not_to_retake_the_quiz(
    catalog: Catalog,
) -> None:
    from grader.cli.render import next_step
    from grader.report import QuizReport, Report

    not_graded = QuizReport(
        quiz="backprop", seed=1, score=0, max_score=5, questions=[], error="unknown step"
    )
    report = Report(score=0, max_score=5, exercises=[], quizzes=[not_graded])
    assert "were not graded" in next_step(report, catalog)
    retake = not_graded.model_copy(update={"error": None})
    assert "take the quiz again" in next_step(
        report.model_copy(update={"quizzes": [retake]}), catalog
    )


def test_a_check_without_quiz_answers_loads_no_quiz_machinery(tmp_path: Path) -> None:
    """The quiz models (pydantic) cost a learner's check about 50 ms: only a submission with
    an answers/ folder pays for them."""
    folder = tmp_path / "work"
    shutil.copytree(SOLUTIONS, folder)
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['bpgrade', 'check', 'exercise03', '--dir', sys.argv[1]]\n"
        "try:\n"
        "    runpy.run_module('grader', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('grader.quiz')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(folder)], capture_output=True, text=True, timeout=120
    )
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr
