"""BPGRADE-HOSTILE submission for exercise04 (attack: patch_grader).

Every function returns zeros. While it is imported, the file imports the grader's own modules
and rewrites them so that everything passes:

- grader.reference: reference_for and load_reference hand back this very module, so the
  "expected" values are the learner's zeros (and the numeric gradients of a forward pass that
  returns zeros are zeros too);
- grader.judge.compare: close is always True, wrong_cells finds nothing, mismatch is empty;
- grader.checks (base, unchanged and every exercise's module, whatever the course's
  exercises): every Check class judges "passed", and failed_call finds no failure;
- grader.grading: _check_report records a pass with full points, not_started is False, and
  grade_exercise and grade turn every score into the maximum;
- grader.report: summarize does the same.

Whatever cannot be imported or patched is skipped, so the file always imports. A grader that
judges in the learner's process gives full marks. The grader must judge in a process the
learner's code never ran in, where these patches do not exist: zeros pass arguments_unchanged
only (the arguments are left alone; advice, no points): 0 of 10.
"""

import contextlib
import importlib
import pkgutil
import sys
from types import SimpleNamespace
from typing import Any

import numpy as np


def _check_modules() -> list[str]:
    """grader.checks.base and .unchanged, then every other module of grader.checks: one per
    exercise of the course, whichever it has."""
    first = ["grader.checks.base", "grader.checks.unchanged"]
    found: list[str] = []
    with contextlib.suppress(Exception):
        package = importlib.import_module("grader.checks")
        found = [f"grader.checks.{m.name}" for m in pkgutil.iter_modules(package.__path__)]
    return first + [name for name in found if name not in first]


GRADER_MODULES = (
    "grader.reference",
    "grader.judge.compare",
    "grader.judge.diagnose",
    "grader.checks",
    *_check_modules(),
    "grader.report",
    "grader.grading",
)


def _pass(*args: Any, **kwargs: Any) -> Any:
    from grader.checks.base import Verdict

    return Verdict(True, "right on all inputs.")


def _this_module(*args: Any, **kwargs: Any) -> Any:
    """This file's functions, as a module would offer them (the runner may have unloaded it)."""
    return SimpleNamespace(**globals())


def _full_marks(report: Any) -> Any:
    """A report (exercise or whole) with every check passed and every score at its maximum."""
    with contextlib.suppress(Exception):
        for exercise in getattr(report, "exercises", None) or [report]:
            for check in exercise.checks:
                check.passed = True
                check.score = check.max_score
                check.diagnosis = None
            exercise.status = "passed"
            exercise.error = None
            exercise.score = exercise.max_score
        report.score = report.max_score
    return report


def _always_full(original: Any) -> Any:
    def patched(*args: Any, **kwargs: Any) -> Any:
        return _full_marks(original(*args, **kwargs))

    return patched


def _patch_judge(compare: Any) -> None:
    compare.close = lambda *args, **kwargs: True
    compare.wrong_cells = lambda received, *args, **kwargs: np.zeros(np.shape(received), bool)
    compare.mismatch = lambda received, *args, **kwargs: compare.Mismatch(
        np.zeros(np.shape(received), bool), 0.0, None
    )


def _patch_checks(module: Any) -> None:
    base = sys.modules.get("grader.checks.base")
    check_class = getattr(base, "Check", None)
    for value in list(vars(module).values()):
        if isinstance(value, type) and check_class is not None and issubclass(value, check_class):
            with contextlib.suppress(Exception):
                value.judge = _pass
    if hasattr(module, "failed_call"):
        module.failed_call = lambda *args, **kwargs: None


def _patch(name: str) -> None:
    module = importlib.import_module(name)
    if name == "grader.reference":
        for function in ("reference_for", "load_reference"):
            if hasattr(module, function):
                setattr(module, function, _this_module)
    elif name == "grader.judge.compare":
        _patch_judge(module)
    elif name.startswith("grader.checks"):
        _patch_checks(module)
    elif name == "grader.report":
        module.summarize = _always_full(module.summarize)
    elif name == "grader.grading":
        original = module._check_report

        def check_report(entry: Any, verdict: Any, *args: Any, **kwargs: Any) -> Any:
            return original(entry, _pass(), *args, **kwargs)

        module._check_report = check_report
        module.not_started = lambda *args, **kwargs: False
        module.grade_exercise = _always_full(module.grade_exercise)
        module.grade = _always_full(module.grade)
        for function in ("reference_for", "load_reference"):
            if hasattr(module, function):
                setattr(module, function, _this_module)


for _name in GRADER_MODULES:
    with contextlib.suppress(Exception):
        _patch(_name)


def mse_loss(Y_hat: np.ndarray, Y: np.ndarray) -> float:
    return 0.0


def mse_backward(Y_hat: np.ndarray, Y: np.ndarray) -> np.ndarray:
    return np.zeros(np.shape(Y_hat))


def softmax(Z: np.ndarray) -> np.ndarray:
    return np.zeros(np.shape(Z))


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    return 0.0, np.zeros(np.shape(logits))
