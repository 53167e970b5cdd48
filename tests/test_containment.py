"""Containment that holds (issue 9), for one submission graded by `bpgrade check` as root, as
Gradescope and PrairieLearn run it. The attacks are in tests/hostile/ (their files say what
they do); tests/test_hostile.py grades each one through the real command and checks its score
and that nothing of it is left. Here, what a score cannot show:

- nothing an exercise started outlives that exercise, while the grader still runs (not only
  once the grader has exited): processes, IPC objects, scratch files;
- the memory of an exercise is bounded whole: shared memory, memfd, tmpfs, its processes;
- an exercise cannot hold more than a few thousand open files;
- a world-readable copy of the course elsewhere on the machine is out of learner code's sight,
  or the report's notes name it;
- with hidden cases, none of their inputs is in what Gradescope shows at once, whatever the
  learner's code prints, raises or warns.

These protections exist only for a root grader (learner code runs as other uids): every test
here skips when not root.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.catalog import Catalog, ExerciseEntry
from grader.grading import DEFAULT_SEED, grade, plan_exercise
from grader.sandbox import Limits, Sandbox, is_root

from .conftest import SOLUTIONS
from .hostile import leftovers
from .test_hostile import (
    BPGRADE,
    EXPECTATIONS,
    FULL,
    HOSTILE,
    MARKER,
    honest_score,
    hostile_submission,
)

pytestmark = pytest.mark.skipif(
    not is_root(), reason="these protections exist only for a root grader"
)

TIMEOUT = 2.0
GIB = 1 << 30
MEMORY = GIB  # the --memory of these runs
MEMORY_SLACK = GIB  # the grader's own processes, and others' work on the machine
MAX_OPEN_FILES = 4096
STUDENT = "hidden-case-student"
# places where another checkout of the course could lie on a machine that grades
STRAY_PARENTS = ("/srv", "/opt", "/home")


# -- running the command ------------------------------------------------------------------------


def _check(
    tmp_path: Path, attack: str, *options: str, fmt: str = "gradescope"
) -> tuple[dict[str, Any], float]:
    """`bpgrade check --all` of the solutions with the attack's file in place: the results
    file, and the seconds the command took."""
    submission = hostile_submission(tmp_path, attack)
    results = tmp_path / "results" / "results.json"
    env = {**os.environ, "BPGRADE_OUTPUT": str(results)}
    command = [BPGRADE, "check", "--all", "--dir", str(submission), "--format", fmt]
    if "--timeout" not in options:
        command += ["--timeout", str(TIMEOUT)]
    started = time.monotonic()
    subprocess.run(
        [*command, *options],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=180,
        check=False,
    )
    return json.loads(results.read_text()), time.monotonic() - started


def _scores(results: dict[str, Any]) -> dict[str, float]:
    scores: dict[str, float] = {}
    for test in results["tests"]:
        scores[test["tags"][0]] = scores.get(test["tags"][0], 0.0) + test.get("score", 0.0)
    return scores


def _others_full(scores: dict[str, float], attacked: str) -> None:
    assert {k: v for k, v in scores.items() if k != attacked} == {
        k: v for k, v in FULL.items() if k != attacked
    }


def _entry(catalog: Catalog, attack: str) -> ExerciseEntry:
    entry = catalog.find(EXPECTATIONS[attack]["exercise"])
    assert entry is not None
    return entry


# -- nothing outlives its exercise ---------------------------------------------------------------

# the attacks that leave processes, IPC objects or files behind
OUTLIVERS = (
    "fork_chain",
    "fork_storm",
    "exec_tools",
    "fd_exhaustion",
    "sysv_ipc",
    "memory_elsewhere",
    "disk_filler",
)


def _settled(mark: leftovers.Mark, grace: float = 0.5) -> leftovers.Leftovers:
    deadline = time.monotonic() + grace
    left = leftovers.find(mark)
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = leftovers.find(mark)
    return left


@pytest.mark.parametrize("attack", OUTLIVERS)
def test_nothing_outlives_its_exercise(attack: str, tmp_path: Path, catalog: Catalog) -> None:
    """Graded through the library the command uses: right after the exercise, with the
    grader and its sandbox still running (nothing was re-parented to PID 1 yet), nothing of
    the learner's uids is left."""
    entry = _entry(catalog, attack)
    folder = tmp_path / "submission"
    folder.mkdir()
    shutil.copy(HOSTILE / attack / entry.file, folder)
    with Sandbox(Limits(timeout=TIMEOUT)) as sandbox, leftovers.checked() as mark:
        report = grade([entry], folder, SOLUTIONS, sandbox=sandbox)
        left = _settled(mark)
        assert not left, f"when {entry.name} ended, with the grader still running:\n" + (
            left.describe()
        )
        assert report.score == pytest.approx(honest_score(EXPECTATIONS[attack])), report


# -- memory ---------------------------------------------------------------------------------------


def _available() -> int:
    with open("/proc/meminfo") as file:
        for line in file:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no MemAvailable in /proc/meminfo")


class _LowestMemory(threading.Thread):
    """The machine's lowest MemAvailable while it runs, sampled every 10 ms."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.lowest = _available()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.01):
            self.lowest = min(self.lowest, _available())


@pytest.mark.parametrize("attack", ["sysv_ipc", "memory_elsewhere"])
def test_the_memory_of_an_exercise_is_bounded_whole(attack: str, tmp_path: Path) -> None:
    """Shared memory, memfd, tmpfs and the processes an exercise starts count against one
    limit: the machine never lends an exercise much more than --memory."""
    if _available() < 8 * GIB:
        pytest.skip("the machine has too little free memory to tell a bound from a squeeze")
    expected = EXPECTATIONS[attack]
    with leftovers.checked():
        before = _available()
        sampler = _LowestMemory()
        sampler.start()
        try:
            results, _ = _check(tmp_path, attack, "--memory", f"{MEMORY >> 20}MiB")
        finally:
            sampler.done.set()
            sampler.join()
        used = before - sampler.lowest
        assert used < MEMORY + MEMORY_SLACK, (
            f"the machine lent the exercise {used / GIB:.2f} GiB under a {MEMORY / GIB:g} GiB limit"
        )
        scores = _scores(results)
        assert scores[expected["exercise"]] == pytest.approx(honest_score(expected))
        _others_full(scores, expected["exercise"])


# -- open files -----------------------------------------------------------------------------------


def test_an_exercise_cannot_hold_more_than_a_few_thousand_files(tmp_path: Path) -> None:
    expected = EXPECTATIONS["fd_exhaustion"]
    with leftovers.checked():
        report, _ = _check(tmp_path, "fd_exhaustion", fmt="json")
        (exercise,) = [e for e in report["exercises"] if e["name"] == expected["exercise"]]
        assert exercise["score"] == pytest.approx(honest_score(expected)), exercise
        opened = re.search(r"fd_exhaustion: opened (\d+) files", exercise.get("output") or "")
        assert opened is not None, exercise.get("output")
        assert int(opened.group(1)) <= MAX_OPEN_FILES


# -- stray copies of the course ---------------------------------------------------------------


def _plant_stray_copies() -> list[Path]:
    """World-readable copies of the course's solutions, as a teaching assistant's clone
    leaves them under the usual umask."""
    planted = []
    for parent in STRAY_PARENTS:
        if not Path(parent).is_dir():
            continue
        folder = Path(tempfile.mkdtemp(prefix="bpgrade-stray-", dir=parent))
        planted.append(folder)
        shutil.copytree(SOLUTIONS, folder / "bpgrade" / "solutions")
        for path in [folder, *folder.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    return planted


def test_a_stray_copy_of_the_course_is_out_of_sight(tmp_path: Path) -> None:
    """The attack searches the disk for solutions/ (its stray copies first); it must find
    none, or the report's notes must name the copy the sandbox could not hide."""
    expected = EXPECTATIONS["stray_copies"]
    planted = _plant_stray_copies()
    assert planted, "no folder to plant a stray copy in"
    try:
        with leftovers.checked():
            # more time than usual, so the search reaches the stray copies for sure
            results, _ = _check(tmp_path, "stray_copies", "--timeout", "4")
    finally:
        for folder in planted:
            shutil.rmtree(folder, ignore_errors=True)
    notes = " ".join(results.get("extra_data", {}).get("sandbox_notes", []))
    named = [str(folder) for folder in planted if str(folder) in notes]
    scores = _scores(results)
    _others_full(scores, expected["exercise"])
    if named:  # the sandbox could not hide the machine, and says what it saw
        return
    text = json.dumps(results)
    read = [str(folder) for folder in planted if str(folder) in text]
    assert not read, f"learner code read {read} and the notes do not say so: {notes!r}"
    assert MARKER not in text
    assert scores[expected["exercise"]] == pytest.approx(honest_score(expected))


# -- hidden cases ---------------------------------------------------------------------------------


def _tokens(value: Any, out: set[str]) -> None:
    """Each float as the attacks write it (repr, every digit)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            out.update(repr(float(v)) for v in value.ravel())
    elif isinstance(value, float):
        out.add(repr(value))
    elif isinstance(value, list | tuple):
        for item in value:
            _tokens(item, out)
    elif isinstance(value, dict):
        for item in value.values():
            _tokens(item, out)


def _hidden_inputs(entry: ExerciseEntry, student: str) -> set[str]:
    """The numbers only the student's hidden calls hold, long enough that no feedback writes
    them by chance."""
    public: set[str] = set()
    hidden: set[str] = set()
    for planned, is_hidden in plan_exercise(entry, DEFAULT_SEED, student).rounds:
        for p in planned:
            for calls in p.calls:
                for call in calls:
                    _tokens([list(call.args), dict(call.kwargs)], hidden if is_hidden else public)
    return {token for token in hidden - public if len(token) >= 10}


def _visible(results: dict[str, Any]) -> str:
    """What Gradescope shows the student at once: the summary, and the tests that are
    `visible` (names, tags, output). Not extra_data, not stdout (hidden)."""
    parts = [results.get("output", "")]
    if results.get("visibility", "visible") == "visible":
        for test in results["tests"]:
            if test.get("visibility", "visible") == "visible":
                parts += [test.get("name", ""), test.get("output", ""), " ".join(test["tags"])]
    return "\n".join(parts)


@pytest.mark.parametrize("attack", ["secrets_at_import", "secrets_in_hidden_calls"])
def test_hidden_inputs_are_never_shown_at_once(
    attack: str, tmp_path: Path, catalog: Catalog
) -> None:
    expected = EXPECTATIONS[attack]
    entry = _entry(catalog, attack)
    secret = _hidden_inputs(entry, STUDENT)
    assert len(secret) > 20, "too few hidden inputs to tell a leak"
    with leftovers.checked():
        results, _ = _check(tmp_path, attack, "--student-id", STUDENT)
    visible = _visible(results)
    leaked = sorted(token for token in secret if token in visible)
    assert not leaked, f"{len(leaked)} hidden inputs shown at once, such as {leaked[:5]}"
    assert MARKER not in json.dumps(results)  # nothing of the course was read either
    scores = _scores(results)
    assert scores[expected["exercise"]] == pytest.approx(honest_score(expected))
    _others_full(scores, expected["exercise"])
