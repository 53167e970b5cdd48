"""Drivers: grader-owned functions that drive the learner's objects where the learner's code runs.

A `Call` with `driver="name"` is answered by `name(module, *args, **kwargs)` from the
exercise's drivers module, `<course>/drivers/<exercise>.py`: it builds objects from plain
arguments (a `Counter`, a model, an optimizer), calls their methods, passes callbacks, reads
attributes, and returns plain data. So classes and callbacks can be graded while only plain data
crosses the line between the judge and the learner's process.

The same driver runs on both sides: in the sandboxed child on the learner's module (the runner
loads the file by path, `load_driver_file`), and in the grader on the reference solution
(`load_driver`), so the expected value is what the reference gives through the very same driver.
A drivers module is course code without answers: it ships in a student release, and it is
handed to the child as a copy of that one file, never as a way into the course's folders.
"""

from __future__ import annotations

import importlib.util
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from grader.course import course_root

DRIVERS = "drivers"  # the course's folder of drivers modules, one per exercise that has any
MODULE_PREFIX = "_bpgrade_driver_"  # never the name of a learner's module

Driver = Callable[..., Any]


class NoDriver(LookupError):
    """The exercise has no drivers module, or the module has no driver of that name."""


def driver_path(exercise: str, course: Path | None = None) -> Path:
    """Where the drivers of `exercise` (the catalog's name, exercise03) live."""
    return (course_root() if course is None else course) / DRIVERS / f"{exercise}.py"


def load_driver_file(path: Path) -> ModuleType:
    """Import a drivers module from its file, under a private name, afresh each time.

    Registered in sys.modules while it runs (dataclasses and pickling look a class's module up
    there) under a name no learner file can have (a file name starting with an underscore and
    this prefix is not an exercise), so it never meets a learner's module of the same stem."""
    name = MODULE_PREFIX + path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise NoDriver(f"cannot load the drivers module {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def driver_in(module: ModuleType, name: str) -> Driver:
    """The driver `name` of a loaded drivers module; NoDriver if it has none."""
    found = vars(module).get(name)
    if name.startswith("_") or not callable(found):
        raise NoDriver(f"the drivers module {module.__file__} has no driver {name!r}")
    return found


_LOADED: dict[tuple[Path, int], ModuleType] = {}
# Where each exercise's drivers are, by what decides it (the course asked for, or the working
# directory and BPGRADE_COURSE that course_root reads). The judge asks once per case, and
# finding the course walks every parent folder: exercise09's 284 cases a hidden-case grading
# spent more time finding its drivers than running its reference through them.
_FOUND: dict[tuple[str, Path | None, str, str | None], Path] = {}


def _found_driver_path(exercise: str, course: Path | None) -> Path:
    try:
        key = (exercise, course, os.getcwd(), os.environ.get("BPGRADE_COURSE"))
    except OSError:  # the working directory was removed: course_root copes, uncached
        return driver_path(exercise, course).resolve()
    path = _FOUND.get(key)
    if path is None:
        path = _FOUND[key] = driver_path(exercise, course).resolve()
    return path


def load_driver(exercise: str, name: str, course: Path | None = None) -> Driver:
    """The driver `name` of `exercise`, for the grader's own side (trusted): the judge calls it
    on the reference solution as `driver(reference, *args, **kwargs)`. Loaded once per file
    version (a changed file is loaded again), since a check calls it for every case."""
    path = _found_driver_path(exercise, course)
    try:
        info = path.stat()
    except OSError:
        info = None
    if info is None or not stat.S_ISREG(info.st_mode):
        raise NoDriver(f"the course has no drivers for {exercise} (looked for {path})")
    key = (path, info.st_mtime_ns)
    module = _LOADED.get(key)
    if module is None:
        module = _LOADED[key] = load_driver_file(path)
    return driver_in(module, name)


def drive(reference: ModuleType, exercise: str, name: str, *args: Any, **kwargs: Any) -> Any:
    """The driver `name` of `exercise` on the reference solution, for the judge, as the plain
    data the learner's side sends back (tensors as arrays).

    A release's stand-in for the reference is recorded and replayed at this boundary, whole:
    the driver's answer to these arguments, never the calls it makes inside."""
    from grader.recorded import Recorder, Replay
    from grader.runner import to_plain

    if isinstance(reference, Replay):
        return reference.driven(name, args, kwargs)

    def run(module: ModuleType) -> Any:
        return to_plain(load_driver(exercise, name)(module, *args, **kwargs))

    if isinstance(reference, Recorder):
        return reference.driven(name, args, kwargs, run)
    return run(reference)
