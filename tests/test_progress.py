"""The learner's progress file: written whole, the learner's own, never a crash."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from grader import progress
from grader.progress import STATE_FILE, Progress


def test_progress_is_saved_whole_and_private(tmp_path: Path) -> None:
    saved = Progress(hints_shown={"exercise01": 2})
    old = os.umask(0o022)
    try:
        assert progress.save(tmp_path, saved)
    finally:
        os.umask(old)
    path = tmp_path / STATE_FILE
    assert path.read_bytes() == saved.model_dump_json(indent=2).encode("utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.listdir(path.parent) == [path.name]
    assert progress.load(tmp_path) == saved


def test_a_failed_save_says_so_and_leaves_the_old_file_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    progress.save(tmp_path, Progress(hints_shown={"exercise01": 1}))
    path = tmp_path / STATE_FILE
    before = path.read_bytes()

    def fail(*args: object) -> None:
        raise OSError("read-only file system")

    monkeypatch.setattr(os, "replace", fail)
    assert not progress.save(tmp_path, Progress(hints_shown={"exercise01": 2}))
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name]


def test_a_failed_exercise_keeps_its_failing_checks_in_order(tmp_path: Path) -> None:
    from grader.report import CheckReport, ExerciseReport, summarize

    def check(name: str, passed: bool) -> CheckReport:
        return CheckReport(
            name=name, title=name, passed=passed, score=float(passed), max_score=1.0, message=""
        )

    checks = [check("linear_forward", True), check("linear_backward.dW", False)]
    checks.append(check("linear_backward.db", False))
    failed = ExerciseReport(
        name="exercise03", title="t", file="f.py", status="failed", score=1.0, max_score=3.0,
        checks=checks,
    )  # fmt: skip
    not_started = failed.model_copy(update={"name": "exercise04", "status": "not_started"})
    progress.record_report(tmp_path, tmp_path / "exercises", summarize([failed, not_started]))
    saved = progress.load(tmp_path).exercises["exercises"]
    assert saved["exercise03"].failing == ["linear_backward.dW", "linear_backward.db"]
    assert saved["exercise04"].failing == []  # nothing to hint at before it is written
    progress.forget_exercise(tmp_path, tmp_path / "exercises", "exercise03")
    assert set(progress.load(tmp_path).exercises["exercises"]) == {"exercise04"}
