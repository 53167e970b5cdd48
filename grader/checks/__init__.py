"""The checks of every exercise, by exercise name. Points and titles live in the catalog.

The checks themselves are course material: `specs/<exercise>.py` in the course folder, a
module whose `CHECKS` lists them. The engine knows no exercise by name.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import sys
import types
from pathlib import Path

from grader.checks.base import Check, OutputCheck
from grader.course import course_root

# The course's specs folder is imported as this package, so a spec may import a sibling
# (`from .common import ...`) and two courses never share a module by accident.
SPECS_PACKAGE = "bpgrade_course_specs"


class NoSpec(LookupError):
    """The course has no spec for an exercise its catalog names."""


def specs_dir(course: Path | None = None) -> Path:
    return (course_root() if course is None else course) / "specs"


def _specs_package(folder: Path) -> str:
    """The package name the folder's specs import under, loading its __init__ once."""
    loaded = sys.modules.get(SPECS_PACKAGE)
    if loaded is not None and list(getattr(loaded, "__path__", [])) == [str(folder)]:
        return SPECS_PACKAGE
    for name in [n for n in sys.modules if n == SPECS_PACKAGE or n.startswith(SPECS_PACKAGE + ".")]:
        del sys.modules[name]  # another course's specs (a test that switches courses)
    init = folder / "__init__.py"
    if init.is_file():
        spec = importlib.util.spec_from_file_location(
            SPECS_PACKAGE, init, submodule_search_locations=[str(folder)]
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[SPECS_PACKAGE] = module
        spec.loader.exec_module(module)
    else:  # a namespace of spec modules, with nothing to run first
        module = types.ModuleType(SPECS_PACKAGE)
        module.__path__ = [str(folder)]
        sys.modules[SPECS_PACKAGE] = module
    return SPECS_PACKAGE


def checks_for(exercise: str, course: Path | None = None) -> list[Check]:
    """The checks of one exercise, imported on demand so a check stays as cheap as it can."""
    folder = specs_dir(course)
    if not (folder / f"{exercise}.py").is_file():
        raise NoSpec(
            f"the course has no check spec for {exercise} (looked for "
            f"{folder / (exercise + '.py')})"
        )
    package = _specs_package(folder)
    module = importlib.import_module(f"{package}.{exercise}")
    checks: list[Check] = module.CHECKS
    return [_with_exercise(check, exercise) for check in checks]


def _with_exercise(check: Check, exercise: str) -> Check:
    """A check that calls a driver learns whose drivers module to load from its spec's file
    name, so that a spec never repeats it."""
    if isinstance(check, OutputCheck) and check.driver is not None and not check.exercise:
        return dataclasses.replace(check, exercise=exercise)
    return check
