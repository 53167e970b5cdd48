"""Issue 8 through the real grader: the whole standard library for learner code, and a timeout
that keeps what had answered. Each test grades a whole exercise file in a real sandbox (as
an unprivileged uid when run as root), as `bpgrade check` does."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

from grader.catalog import Catalog
from grader.grading import grade
from grader.sandbox import Limits, Sandbox

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
