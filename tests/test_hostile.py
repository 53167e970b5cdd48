"""Hostile submissions (tests/hostile/) graded through the real CLI, as a platform runs it.

For each attack: the attacked exercise earns what its honest part earns (0 for the cheats),
every other exercise full marks, the results file is the grader's own and valid Gradescope
JSON, the run ends within its time bound, and nothing outside the sandbox changed. As root,
nothing of the learner's uids is left either: no process, no IPC object, no file in the
machine's shared scratch folders (`hostile/leftovers.py`).

The expected score is what the checks in `passes` are worth in the catalog (the `score` beside
them says the same in words), so that a change of points in the catalog changes no expectation.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import tomllib
from pathlib import Path

import pytest

from grader.catalog import load_catalog
from grader.sandbox import is_root

from .conftest import EXERCISES, ROOT, SOLUTIONS
from .hostile import leftovers

HOSTILE = ROOT / "tests" / "hostile"
EXPECTATIONS = tomllib.loads((HOSTILE / "expectations.toml").read_text())
SCHEMA = json.loads((ROOT / "tests" / "schemas" / "gradescope.schema.json").read_text())
TIMEOUT = 2.0
MARKER = "BPGRADE-HOSTILE-MARKER"
BPGRADE = shutil.which("bpgrade", path=str(Path(sys.executable).parent)) or "bpgrade"
CATALOG = load_catalog(EXERCISES / "catalog.toml")
FULL = {entry.name: entry.max_score for entry in CATALOG.exercises}


def honest_score(expected: dict) -> float:
    """What the checks an attack's honest part passes are worth."""
    entry = CATALOG.find(expected["exercise"])
    assert entry is not None
    points = {check.name: check.points for check in entry.checks}
    return sum(points[name] for name in expected["passes"])


def _watched_files() -> dict[str, str]:
    """Digests of the grader's own files and the places an attack would drop code."""
    digests = {}
    roots = [ROOT / name for name in ("grader", "solutions", "exercises", "quizzes")]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digests[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    site = Path(sysconfig.get_paths()["purelib"])
    for path in sorted(site.glob("*.pth")) + sorted(site.glob("*customize.py")):
        digests[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def hostile_submission(tmp_path: Path, attack: str) -> Path:
    """The reference solutions, with the attack's files in their place."""
    submission = tmp_path / "submission"
    submission.mkdir()
    for solution in SOLUTIONS.glob("exercise*.py"):
        shutil.copy(solution, submission)
    for hostile in (HOSTILE / attack).glob("*.py"):
        shutil.copy(hostile, submission)
    return submission


def _grade(attack: str, tmp_path: Path, timeout: float) -> tuple[dict, float, Path]:
    submission = hostile_submission(tmp_path, attack)
    results = tmp_path / "results" / "results.json"
    env = {**os.environ, "BPGRADE_OUTPUT": str(results)}
    started = time.monotonic()
    subprocess.run(
        [
            BPGRADE,
            "check",
            "--all",
            "--dir",
            str(submission),
            "--format",
            "gradescope",
            "--timeout",
            str(timeout),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    elapsed = time.monotonic() - started
    return json.loads(results.read_text()), elapsed, results


def _scores(results: dict) -> dict[str, float]:
    scores: dict[str, float] = {}
    for test in results["tests"]:
        exercise = test["tags"][0]
        scores[exercise] = scores.get(exercise, 0.0) + test.get("score", 0.0)
    return scores


@pytest.mark.parametrize("attack", sorted(EXPECTATIONS))
def test_a_hostile_submission_is_contained(attack: str, tmp_path: Path) -> None:
    import jsonschema

    expected = EXPECTATIONS[attack]
    if expected.get("needs_root") and not is_root():
        pytest.skip("containing this attack needs root (learner code runs as another user)")
    before = _watched_files()
    # as root, learner code runs as the sandbox's uids: nothing of theirs may be left after it
    watch = leftovers.checked() if is_root() else contextlib.nullcontext()
    with watch:
        timeout = float(expected.get("timeout", TIMEOUT))
        results, elapsed, path = _grade(attack, tmp_path, timeout)

        jsonschema.validate(results, SCHEMA)
        assert MARKER not in path.read_text()
        assert [p.name for p in path.parent.iterdir()] == ["results.json"]
        scores = _scores(results)
        attacked = expected["exercise"]
        honest = honest_score(expected)
        assert scores[attacked] == pytest.approx(honest), results
        assert {k: v for k, v in scores.items() if k != attacked} == {
            k: v for k, v in FULL.items() if k != attacked
        }
        assert results["score"] == pytest.approx(sum(FULL.values()) - FULL[attacked] + honest)
        if expected.get("cause"):
            said = " ".join(t.get("output", "") for t in results["tests"] if attacked in t["tags"])
            assert expected["cause"].lower() in said.lower(), said
        assert elapsed < len(FULL) * (timeout + 1) + 10  # each exercise may run out its time
        assert _watched_files() == before
