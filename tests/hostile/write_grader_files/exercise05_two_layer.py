"""BPGRADE-HOSTILE submission for exercise05 (attack: write_grader_files).

Every function returns zeros. While it is imported, the file tries to change the grader
itself, so that this run or the next one believes it:

- it appends a line to the grader's own modules (grader/__init__.py, grading.py, runner.py,
  reference.py, report.py, judge/compare.py, checks/base.py), found through
  importlib.util.find_spec("grader");
- to the course: the catalog (exercises/catalog.toml) and every reference solution, found
  through grader.course and beside the package (grader/_course, ../exercises, ../solutions);
- to the `bpgrade` script in sys.prefix/bin (and the one on PATH);
- it creates (or appends to) sitecustomize.py, usercustomize.py and bpgrade_hostile.pth in
  the site-packages folders under sys.prefix, which Python runs or reads at every start.

Every write only appends; nothing is truncated or deleted. What it writes is inert (a comment
line in .py, .toml and .pth files) and contains the marker (BPGRADE-HOSTILE- followed by
MARKER, assembled at run time so that this source does not contain it), for a test to find.
It never writes outside the grader's package, course, script and its environment's
site-packages (never the user's own ~/.local). Every attempt is wrapped, so the file always
imports.

The grader must run learner code as a user that can write none of these. Then zeros earn
init_params.shapes, and pass arguments_unchanged (advice, no points): 1 of 12. Needs root to
be contained: as the developer's own user, the grader's files are writable.
"""

import contextlib
import importlib.util
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

MARKER = "BPGRADE-HOSTILE-" + "MARKER"
LINE = f"# {MARKER}: appended by a submission (tests/hostile/write_grader_files)\n"
GRADER_FILES = (
    "__init__.py",
    "grading.py",
    "runner.py",
    "reference.py",
    "report.py",
    "judge/compare.py",
    "checks/base.py",
)
SITE_FILES = ("sitecustomize.py", "usercustomize.py", "bpgrade_hostile.pth")


def _packages() -> list[Path]:
    found = []
    with contextlib.suppress(Exception):
        spec = importlib.util.find_spec("grader")
        if spec is not None:
            found += [Path(p) for p in spec.submodule_search_locations or []]
    return found


def _course_roots() -> Iterator[Path]:
    with contextlib.suppress(Exception):
        from grader.course import course_root

        yield course_root()
    for package in _packages():
        yield package / "_course"
        yield package.parent


def _site_packages() -> Iterator[Path]:
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.exec_prefix)}
    folders = set()
    with contextlib.suppress(Exception):  # imported here: a sandbox may not let it load
        import sysconfig

        folders.add(sysconfig.get_paths()["purelib"])
        folders.add(sysconfig.get_paths()["platlib"])
    for prefix in prefixes:
        folders.update(str(p) for p in Path(prefix).glob("lib/python*/site-packages"))
    for folder in sorted(folders):
        real = os.path.realpath(folder)
        # only this environment's own site-packages, never ~/.local or another prefix
        if any(real.startswith(prefix + os.sep) for prefix in prefixes):
            yield Path(real)


def _solutions(root: Path) -> list[str]:
    """Every reference solution of the course, whatever its exercises: each file its catalog
    names, and each exercise file in its solutions/ where that folder can be listed."""
    names: set[str] = set()
    with contextlib.suppress(Exception):
        import tomllib

        catalog = tomllib.loads((root / "exercises" / "catalog.toml").read_text())
        names.update(str(exercise["file"]) for exercise in catalog["exercises"])
    with contextlib.suppress(Exception):
        names.update(path.name for path in (root / "solutions").glob("exercise*.py"))
    return sorted(names)


def _targets() -> Iterator[tuple[Path, bool]]:
    """(path, may_create): existing grader files are appended to; site files may be created."""
    for package in _packages():
        for name in GRADER_FILES:
            yield package / name, False
    for root in _course_roots():
        solutions = _solutions(root)  # before the catalog is appended to
        yield root / "exercises" / "catalog.toml", False
        for name in solutions:
            yield root / "solutions" / name, False
    for script in {Path(sys.prefix) / "bin" / "bpgrade", Path(shutil.which("bpgrade") or "")}:
        if script.name == "bpgrade":
            yield script, False
    for site in _site_packages():
        for name in SITE_FILES:
            yield site / name, True


def _append(path: Path, may_create: bool) -> bool:
    try:
        if not may_create and not path.is_file():
            return False
        with open(path, "a") as file:
            file.write(LINE)
        return True
    except OSError:
        return False


def _attack() -> list[str]:
    done = []
    seen: set[str] = set()
    for path, may_create in _targets():
        key = os.path.realpath(path)
        if key in seen:
            continue
        seen.add(key)
        if _append(path, may_create):
            done.append(str(path))
    return done


with contextlib.suppress(Exception):
    print("write_grader_files appended to:", _attack(), file=sys.stderr)


def _zeros(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: np.zeros(np.shape(v)) for k, v in params.items()}


def init_params(D: int, H: int, C: int, seed: int = 0) -> dict[str, np.ndarray]:
    return {"W1": np.zeros((H, D)), "b1": np.zeros(H), "W2": np.zeros((C, H)), "b2": np.zeros(C)}


def two_layer_forward(params: dict[str, np.ndarray], X: np.ndarray) -> tuple[np.ndarray, Any]:
    return np.zeros((np.shape(X)[0], np.shape(params["W2"])[0])), None


def two_layer_backward(
    params: dict[str, np.ndarray], cache: Any, dY_hat: np.ndarray
) -> dict[str, np.ndarray]:
    return _zeros(params)


def sgd_step(
    params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: float
) -> dict[str, np.ndarray]:
    return _zeros(params)


def train_step(
    params: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray, lr: float
) -> tuple[dict[str, np.ndarray], float]:
    return _zeros(params), 0.0
