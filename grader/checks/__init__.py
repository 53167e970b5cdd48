"""The checks of every exercise, by exercise name. Points and titles live in the catalog."""

from __future__ import annotations

import importlib

from grader.checks.base import Check


def checks_for(exercise: str) -> list[Check]:
    """The checks of one exercise, imported on demand so a check stays as cheap as it can."""
    module = importlib.import_module(f"grader.checks.{exercise}")
    return module.CHECKS
