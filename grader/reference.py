"""The reference solutions, loaded by path into the grader's own process. Trusted code only."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType

from grader.catalog import ExerciseEntry


@cache
def load_reference(path: Path) -> ModuleType:
    """Import a solution file under a private name, so it can never meet a learner's module."""
    spec = importlib.util.spec_from_file_location(f"_bpgrade_reference_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the reference solution {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reference_for(entry: ExerciseEntry, solutions: Path) -> ModuleType:
    """The oracle the checks judge an exercise against: its reference solution."""
    return load_reference(solutions / entry.file)
