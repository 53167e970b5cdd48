"""The learner's loop: the workspace found from anywhere inside it, `bpgrade` alone and
`next`, `check` with no name, the progress bar, targeted hints, `reset`, `init` and watch."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from queue import Empty, Queue

import pytest
from click.testing import CliRunner, Result

from grader import progress
from grader.catalog import Catalog, ExerciseEntry, Hint
from grader.cli import main, render
from grader.course import workspace_root
from grader.loop import STUBS, NoStub, pristine_stub
from grader.progress import ExerciseProgress, Progress

from .conftest import EXERCISES, ROOT, SOLUTIONS

WIDTH = 80


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A learner's workspace with the untouched exercises; the cwd is the workspace."""
    root = tmp_path / "course-work"
    shutil.copytree(EXERCISES, root / "exercises")
    monkeypatch.chdir(root)
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    monkeypatch.delenv("BPGRADE_COURSE", raising=False)
    return root


def invoke(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def unwrapped(text: str) -> str:
    return " ".join(text.split())


def solve(workspace: Path, *names: str) -> None:
    for name in names:
        shutil.copy(SOLUTIONS / name, workspace / "exercises" / name)


def saved(workspace: Path, **statuses: str) -> None:
    """Progress as if these exercises had been checked, with these statuses."""
    results = {
        name: ExerciseProgress(status=status, score=0.0, max_score=10.0)  # type: ignore[arg-type]
        for name, status in statuses.items()
    }
    progress.save(workspace, Progress(exercises={"exercises": results}))


# --- the workspace, from anywhere inside it ---------------------------------------------------


def test_the_workspace_is_found_from_inside_exercises(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    solve(workspace, "exercise01_chain_rule.py")
    inside = workspace / "exercises" / "data"
    monkeypatch.chdir(inside)
    assert workspace_root() == workspace.resolve()
    checked = invoke("check", "1")
    assert checked.exit_code == 0, checked.output
    assert "there is no folder" not in checked.output
    assert (workspace / ".bpgrade" / "progress.json").is_file()
    assert not (inside / ".bpgrade").exists()
    listed = invoke("list")
    assert "Exercises: 1 of 12 passed" in listed.output
    monkeypatch.chdir(workspace)  # the same progress, seen from the workspace itself
    assert "Exercises: 1 of 12 passed" in invoke("list").output


# every learner command that reads the exercise files, as a learner types it inside exercises/
FROM_INSIDE = (
    ("check", "1"),
    ("list",),
    ("next",),
    ("hint", "1"),
    ("plot", "1"),
    ("reset", "2", "--yes"),
)


@pytest.mark.parametrize("command", FROM_INSIDE, ids=lambda c: c[0])
def test_every_command_works_from_inside_exercises(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    """The default folder is the workspace's exercises/ for every command, whichever module
    declares it: none may read `--dir` left out as a folder of its own."""
    solve(workspace, "exercise01_chain_rule.py")
    monkeypatch.chdir(workspace / "exercises")
    result = CliRunner().invoke(main, list(command))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code in (0, 1), result.output
    assert "there is no folder" not in result.output


def test_a_dir_typed_by_the_learner_stays_relative_to_where_they_are(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    solve(workspace, "exercise01_chain_rule.py")
    monkeypatch.chdir(workspace / "exercises")
    result = invoke("check", "1", "--dir", ".")
    assert result.exit_code == 0, result.output
    missing = invoke("check", "1", "--dir", "exercises")  # no exercises/ inside exercises/
    assert missing.exit_code == 2
    assert "there is no folder exercises" in missing.output


def test_a_folder_others_may_write_into_is_no_workspace(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    (shared / ".bpgrade").mkdir(parents=True)
    below = shared / "mine"
    below.mkdir()
    assert workspace_root(below) == shared.resolve()
    shared.chmod(0o777)
    try:
        assert workspace_root(below) == below.resolve()  # nothing above counts: the cwd
    finally:
        shared.chmod(0o755)


# --- where the learner is, and what to do next -------------------------------------------------


def test_bpgrade_alone_says_where_the_learner_is(workspace: Path) -> None:
    result = invoke()
    assert result.exit_code == 0
    assert "0 of 12 exercises passed" in result.output
    assert "You are on exercise01" in result.output
    assert "Next: write exercises/exercise01_chain_rule.py" in result.output
    saved(workspace, exercise01="passed", exercise02="failed")
    after = invoke("next")
    assert "1 of 12 exercises passed" in after.output
    assert "You are on exercise02" in after.output
    assert "Next: fix exercises/exercise02_activations.py" in after.output
    assert all(len(line) <= WIDTH for line in after.output.splitlines())


def test_check_with_no_name_checks_the_first_exercise_not_passed(workspace: Path) -> None:
    saved(workspace, exercise01="passed", exercise02="passed")
    solve(workspace, "exercise03_linear.py")
    result = invoke("check")
    assert result.exit_code == 0, result.output
    assert "Checking exercise03, the first exercise not passed yet." in result.output
    assert "exercise03  A linear layer  10/10" in result.output
    assert "Next: `bpgrade check exercise04`" in result.output


def test_the_next_line_never_names_an_exercise_passed_already(workspace: Path) -> None:
    saved(workspace, exercise04="passed", exercise05="passed")
    solve(workspace, "exercise03_linear.py")
    result = invoke("check", "3")
    assert result.exit_code == 0, result.output
    assert "Next: `bpgrade check exercise06`" in result.output


def test_check_with_no_name_when_everything_passed_is_bad_usage(
    workspace: Path, catalog: Catalog
) -> None:
    saved(workspace, **{entry.name: "passed" for entry in catalog.exercises})
    result = invoke("check")
    assert result.exit_code == 2
    assert "every exercise has passed" in result.output
    assert "Every exercise has passed." in invoke().output


# --- the progress bar ---------------------------------------------------------------------------


def test_list_has_a_bar_and_points_and_fits_80_columns(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, catalog: Catalog
) -> None:
    total = sum(entry.max_score for entry in catalog.exercises)
    results = {"exercise01": ExerciseProgress(status="passed", score=10.0, max_score=10.0)}
    progress.save(workspace, Progress(exercises={"exercises": results}))
    monkeypatch.setattr(render, "unicode_output", lambda: True)
    result = invoke("list")
    assert f"10/{total:g} points" in result.output
    bar = re.search(r"[█░]+", result.output)
    assert bar is not None and len(bar[0]) == render.BAR_WIDTH
    assert "█" in bar[0] and "░" in bar[0]
    assert all(len(line) <= WIDTH for line in result.output.splitlines())
    monkeypatch.setattr(render, "unicode_output", lambda: False)
    plain = invoke("list").output
    assert re.search(r"\[#+\.+\]", plain)
    assert "█" not in plain
    assert all(len(line) <= WIDTH for line in plain.splitlines())


# --- targeted hints ---------------------------------------------------------------------------


def test_a_hint_is_a_string_or_a_table_naming_its_checks() -> None:
    assert Hint.model_validate("plain") == Hint(text="plain")
    table = Hint.model_validate({"text": "t", "checks": ["softmax"]})
    assert table.serves("softmax") and table.serves("softmax.stable")
    assert not table.serves("softmax_cross_entropy.loss")


def test_a_hint_for_a_check_the_exercise_lacks_is_named(catalog: Catalog) -> None:
    """`bpgrade dev check` reports it (tests/test_authoring.py); the catalog still loads."""
    data = catalog.find("exercise03")
    assert data is not None
    entry = data.model_dump()
    entry["hints"] = [{"text": "t", "checks": ["linear_sideways"]}, {"text": "u"}]
    said = ExerciseEntry.model_validate(entry).unserved_hints()
    assert said == ["hint 1 serves no check named linear_sideways"]


def test_every_exercise_ties_its_hints_to_checks(catalog: Catalog) -> None:
    for entry in catalog.exercises:
        assert any(hint.checks for hint in entry.hints), entry.name


def test_the_first_failing_checks_hint_comes_first(catalog: Catalog) -> None:
    entry = catalog.find("exercise04")
    assert entry is not None
    order = entry.hint_order(["softmax_cross_entropy.loss", "softmax_cross_entropy.dlogits"])
    assert "log-sum-exp" in entry.hints[order[0]].text
    assert "onehot" in entry.hints[order[1]].text
    assert sorted(order) == list(range(len(entry.hints)))  # every hint, each once


def test_hint_reveals_the_hint_for_the_check_that_failed(workspace: Path) -> None:
    results = {
        "exercise04": ExerciseProgress(
            status="failed", score=5.0, max_score=10.0, failing=["softmax_cross_entropy.loss"]
        )
    }
    progress.save(workspace, Progress(exercises={"exercises": results}))
    first = invoke("hint", "4")
    assert first.exit_code == 0
    assert "failed softmax_cross_entropy.loss first" in unwrapped(first.output)
    assert "Hint 1/5: For the cross-entropy" in unwrapped(first.output)
    assert "mse_loss" not in first.output
    assert all(len(line) <= WIDTH for line in first.output.splitlines())
    second = invoke("hint")  # no name: the exercise the learner is on, exercise01 here
    assert "exercise01" in second.output


def test_a_check_saves_its_failing_checks_for_hint(workspace: Path) -> None:
    path = workspace / "exercises" / "exercise03_linear.py"
    solution = (SOLUTIONS / "exercise03_linear.py").read_text(encoding="utf-8")
    path.write_text(solution.replace("axis=0", "axis=1"), encoding="utf-8")
    result = invoke("check", "3")
    assert result.exit_code == 1
    record = progress.load(workspace).exercises["exercises"]["exercise03"]
    assert record.failing and record.failing[0] == "linear_backward.db"
    hinted = unwrapped(invoke("hint", "3").output)
    assert "Hint 1/4: The bias was added to every row" in hinted


def test_hints_counted_by_an_older_progress_file_stay_revealed(workspace: Path) -> None:
    progress.save(workspace, Progress(hints_shown={"exercise03": 2}))
    result = invoke("hint", "3")
    assert "Hint 3/4:" in result.output
    assert progress.load(workspace).hints_revealed["exercise03"] == [0, 1, 2]


# --- reset ------------------------------------------------------------------------------------


def test_reset_puts_the_stub_back_and_keeps_a_backup(workspace: Path) -> None:
    path = workspace / "exercises" / "exercise03_linear.py"
    mine = "# my work\n"
    path.write_text(mine, encoding="utf-8")
    refused = invoke("reset", "3", input="n\n")
    assert refused.exit_code == 1  # aborted
    assert path.read_text(encoding="utf-8") == mine
    result = invoke("reset", "exercise03", "--yes")
    assert result.exit_code == 0, result.output
    assert path.read_bytes() == (EXERCISES / "exercise03_linear.py").read_bytes()
    [backup] = (workspace / ".bpgrade" / "backups").iterdir()
    assert re.fullmatch(r"exercise03_linear\.\d{8}T\d+Z\.py", backup.name)
    assert backup.read_text(encoding="utf-8") == mine
    assert f".bpgrade/backups/{backup.name}" in result.output
    again = invoke("reset", "3", "--yes")
    assert "nothing to reset" in again.output


def test_where_the_course_file_is_the_learners_a_kept_stub_is_used(tmp_path: Path) -> None:
    course = tmp_path / "release"
    shutil.copytree(EXERCISES, course / "exercises")
    entry = ExerciseEntry(
        name="exercise03",
        file="exercise03_linear.py",
        title="t",
        checks=[{"name": "linear_forward", "title": "t", "points": 1}],  # type: ignore[list-item]
    )
    learner = course / "exercises" / entry.file
    learner.write_text("# my work\n", encoding="utf-8")
    with pytest.raises(NoStub, match=r"no untouched copy of exercise03_linear\.py"):
        pristine_stub(course, entry, learner)
    (course / STUBS).mkdir(parents=True)
    (course / STUBS / entry.file).write_text("# the stub\n", encoding="utf-8")
    assert pristine_stub(course, entry, learner) == "# the stub\n"


# --- init -------------------------------------------------------------------------------------


def test_init_makes_a_workspace_without_solutions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BPGRADE_COURSE", raising=False)
    result = invoke("init", "learn")
    assert result.exit_code == 0, result.output
    made = tmp_path / "learn"
    assert sorted(p.name for p in made.iterdir()) == ["exercises"]
    for stub in EXERCISES.glob("*.py"):
        assert (made / "exercises" / stub.name).read_bytes() == stub.read_bytes()
    assert (made / "exercises" / "catalog.toml").is_file()
    assert (made / "exercises" / "data" / "alice.txt").is_file()
    solution_text = (SOLUTIONS / "exercise03_linear.py").read_text(encoding="utf-8")
    for path in made.rglob("*"):
        assert path.is_dir() or path.read_text(encoding="utf-8") != solution_text
    monkeypatch.chdir(made)
    checked = invoke("check", "1")
    assert checked.exit_code == 1  # graded: not started, not "no folder"
    assert "not started" in checked.output
    refused = invoke("init", str(made))
    assert refused.exit_code == 1
    assert "is not empty" in refused.output


# --- watch ------------------------------------------------------------------------------------


class Watcher:
    """`bpgrade watch` in a subprocess, its output read line by line on a thread."""

    def __init__(self, workspace: Path, *args: str) -> None:
        environment = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "NO_COLOR": "1",
            "PYTHONUNBUFFERED": "1",
        }
        environment.pop("BPGRADE_COURSE", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "grader", "watch", *args],
            cwd=workspace,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: Queue[str] = Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for(self, pattern: str, seconds: float = 120.0) -> str:
        """The first line from now on matching `pattern`; generous, for a loaded machine."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except Empty:
                continue
            self.seen.append(line)
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line matching {pattern!r} in:\n{''.join(self.seen)}")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=60)
        finally:
            if self.process.poll() is None:
                self.process.kill()


@pytest.fixture
def watcher(workspace: Path) -> Iterator[list[Watcher]]:
    started: list[Watcher] = []
    yield started
    for each in started:
        if each.process.poll() is None:
            each.process.kill()
            each.process.wait()


@pytest.mark.parametrize("how", [(), ("--poll",)], ids=["file events", "polling"])
def test_watch_checks_again_on_save_and_moves_on_when_it_passes(
    workspace: Path, watcher: list[Watcher], how: tuple[str, ...]
) -> None:
    run = Watcher(workspace, "exercise03", *how)
    watcher.append(run)
    run.wait_for(r"Watching exercises/exercise03_linear\.py")
    path = workspace / "exercises" / "exercise03_linear.py"
    solution = (SOLUTIONS / "exercise03_linear.py").read_text(encoding="utf-8")
    path.write_text(solution.replace("axis=0", "axis=1"), encoding="utf-8")
    run.wait_for(r"exercise03  A linear layer  7/10  failed")
    run.wait_for(r"Watching exercises/exercise03_linear\.py")
    path.write_text(solution, encoding="utf-8")
    run.wait_for(r"exercise03  A linear layer  10/10  passed")
    run.wait_for(r"Moving on: watching exercises/exercise04_losses\.py")
    assert run.stop() == 0  # Ctrl-C ends it cleanly
    run.wait_for(r"Stopped watching\.")
    saved_now = progress.load(workspace).exercises["exercises"]["exercise03"]
    assert saved_now.status == "passed"
