"""Issue 8 through the real grader: the whole standard library for learner code, and a timeout
that keeps what had answered. Each test grades a whole exercise file in a real sandbox (as
an unprivileged uid when run as root), as `bpgrade check` does."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from grader import grading
from grader.calls import Call, NoResults
from grader.catalog import Catalog, ExerciseEntry
from grader.grading import grade
from grader.reference import MissingReference
from grader.sandbox import Limits, Outcome, Sandbox

from .conftest import SOLUTIONS

IMPORTS = """
import cmath
import csv
import glob
import heapq
import logging
import statistics
import unittest
from fractions import Fraction

import numpy as np
import numpy.testing
from numpy.testing import assert_allclose

log = logging.getLogger(__name__)
"""


def test_a_solution_that_imports_the_standard_library_scores_full_marks(
    catalog: Catalog, tmp_path: Path
) -> None:
    """The reproduction of issue 8: as root with Python under a private home, `import logging`
    failed as nobody and correct code scored 0."""
    source = (SOLUTIONS / "exercise01_chain_rule.py").read_text()
    source = source.replace("import math\n", "import math\n" + IMPORTS, 1)
    lazy = (
        "    import bisect, pprint, textwrap  # only when called\n"
        "    assert heapq.nsmallest(1, [3, 1]) == [1] and cmath.sqrt(-1) == 1j\n"
        "    assert_allclose(np.polynomial.polynomial.polyval(1.0, [1.0, 2.0]), 3.0)\n"
        "    assert statistics.mean([Fraction(1), Fraction(3)]) == 2\n"
    )
    source = re.sub(r"(def neuron_loss\(.*\n)", lambda m: m.group(1) + lazy, source, count=1)
    assert "only when called" in source
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "exercise01_chain_rule.py").write_text(source)
    command = [sys.executable, "-m", "grader", "check", "exercise01", "--dir", str(folder)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "10/10" in done.stdout


LOOPING_BACKWARD = """
import numpy as np


def linear_forward(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    return X @ W.T + b


def linear_backward(dZ: np.ndarray, X: np.ndarray, W: np.ndarray):
    dX = dZ @ W
    while True:
        dX = dX + 0.0
"""


def test_a_function_that_never_returns_costs_only_its_own_checks(
    catalog: Catalog, tmp_path: Path
) -> None:
    entry = next(e for e in catalog.exercises if e.name == "exercise03")
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / entry.file).write_text(textwrap.dedent(LOOPING_BACKWARD).lstrip())
    with Sandbox(Limits(timeout=2.0)) as sandbox:
        report = grade([entry], folder, SOLUTIONS, sandbox=sandbox).exercises[0]
    checks = {check.name: check for check in report.checks}
    assert checks["linear_forward"].passed
    assert report.score == checks["linear_forward"].max_score
    assert report.status == "failed"
    failed = [check for check in report.checks if not check.passed]
    assert {c.name for c in failed} == {
        "linear_backward.dX",
        "linear_backward.dW",
        "linear_backward.db",
        "arguments_unchanged",
    }
    where = re.compile(
        r"timed out after 2 s in linear_backward \(exercise03_linear\.py, line (10|11): "
        r"`(while True:|dX = dX \+ 0\.0)`\)"
    )
    first, *same = failed[:3]  # the error in full once, then "the same error as" it
    assert "did not answer: " in first.message, first.message
    assert where.search(first.message), first.message
    for check in same:
        assert f"the same error as {first.name} (it did not answer" in check.message

    assert report.error is not None and where.search(report.error)


def _looping_numeric_gradient() -> str:
    """exercise06's reference, with numeric_gradient's index never moving on."""
    source = (SOLUTIONS / "exercise06_gradcheck.py").read_text(encoding="utf-8")
    looping = source.replace(
        "    for i in np.ndindex(x.shape):\n",
        "    k = 0\n    while k < x.size:\n        i = np.unravel_index(k, x.shape)\n",
        1,
    )
    assert looping != source
    return looping


@pytest.mark.parametrize("student", [None, "s042"])
def test_calls_a_stopped_child_never_began_run_again_without_what_stopped_it(
    catalog: Catalog, tmp_path: Path, student: str | None
) -> None:
    """An infinite loop in numeric_gradient fails numeric_gradient and the functions of the
    file that use it; rel_error, which never calls it, and which the stopped child never got
    to, is graded in a fresh child, on the student's hidden cases too."""
    entry = next(e for e in catalog.exercises if e.name == "exercise06")
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / entry.file).write_text(_looping_numeric_gradient(), encoding="utf-8")
    with Sandbox(Limits(timeout=1.0)) as sandbox:
        report = grade([entry], folder, SOLUTIONS, sandbox=sandbox, student=student)
    checks = {check.name: check for check in report.exercises[0].checks}
    right = [name for name in checks if name.startswith("rel_error")]
    assert len(right) == (4 if student else 2)
    for name in right:
        assert checks[name].passed, checks[name].message
    for name, check in checks.items():
        if name.startswith(("numeric_gradient", "gradcheck")):
            assert not check.passed, name
    first = checks["numeric_gradient_of.grad"].message
    assert "timed out after 1 s in numeric_gradient" in first
    error = report.exercises[0].error
    assert error is not None and "timed out after 1 s in numeric_gradient" in error


class _HeldSandbox:
    """Stands for a Sandbox: each run waits until the sandbox is stopped."""

    def __init__(self) -> None:
        self.ran: list[str] = []
        self.released = threading.Event()
        self.notes: list[str] = []

    def workspace(self, folder: Path) -> Path:
        return folder

    def discard(self, folder: Path) -> None:
        pass

    def run(self, path: Path, calls: list[Call], hidden: int, entry: ExerciseEntry) -> Outcome:
        self.ran.append(entry.name)
        self.released.wait(10)
        return Outcome(NoResults("stopped"))

    def stop(self) -> None:
        self.released.set()
        time.sleep(0.3)  # time enough for the thread that runs them to take the next one


def test_an_error_planning_an_exercise_starts_no_exercise_queued_before_it(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exercises are planned while earlier ones run: when planning fails, the error comes
    back and no exercise still queued runs learner code after it."""
    entries = [e for e in catalog.exercises if e.runtime == "numpy"][:3]
    planned = grading.plan_exercise

    def plan_exercise(entry: ExerciseEntry, *args: Any, **kwargs: Any) -> Any:
        if entry is entries[2]:
            raise MissingReference("no answers for it")
        return planned(entry, *args, **kwargs)

    monkeypatch.setattr(grading, "plan_exercise", plan_exercise)
    sandbox = _HeldSandbox()
    with pytest.raises(MissingReference):
        grading.grade(entries, tmp_path, SOLUTIONS, sandbox=sandbox)  # type: ignore[arg-type]
    assert sandbox.ran == [entries[0].name]


def test_a_python_whose_packages_lie_under_tmp_reaches_them(tmp_path: Path) -> None:
    """A virtual environment made under /tmp (a CI clone there, PrairieLearn's image) was
    covered by each exercise's private /tmp: as root, every module the zygote had not loaded
    failed to import. Here a module only that environment's site-packages holds is imported
    by a correct solution."""
    import numpy

    import grader

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (site,) = venv.glob("lib/python*/site-packages")
    outer = Path(numpy.__file__).parents[1]  # numpy, pydantic, click: the tests' own packages
    checkout = Path(grader.__file__).parents[1]
    (site / "outer.pth").write_text(f"{outer}\n{checkout}\n")
    (site / "tmp_venv_probe.py").write_text("SCALE = 1.0\n")
    source = (SOLUTIONS / "exercise01_chain_rule.py").read_text()
    source = source.replace("import math\n", "import math\n\nimport tmp_venv_probe\n", 1)
    source = re.sub(
        r"(def neuron_loss\(.*\n)",
        lambda m: m.group(1) + "    import tmp_venv_probe as again  # imported when called\n",
        source,
        count=1,
    )
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "exercise01_chain_rule.py").write_text(source)
    command = [str(venv / "bin" / "python"), "-m", "grader", "check", "exercise01"]
    done = subprocess.run(
        [*command, "--dir", str(folder)], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "10/10" in done.stdout
