"""BPGRADE-HOSTILE submission for exercise04 (attack: stack_walk).

It computes nothing. Each function looks for the answer in the memory of the process it runs
in, and returns the first thing it finds:

1. a Python function of the same name defined in another file called exercise04_losses.py
   (the reference solution, loaded by the grader): among every object the garbage collector
   tracks (gc.get_objects), and in the globals and locals of every caller's frame
   (sys._getframe, inspect.stack), or as an attribute of what they hold; it calls it;
2. a folder named in a caller's local variables (a str or Path, such as a `solutions`
   argument) that holds another exercise04_losses.py: it executes that file and calls its
   function;
3. a float array of the right shape in the callers' frames, or in any dict, list, tuple or
   object the garbage collector tracks (swept once per process, to stay fast), that is not one
   of its own arguments: it returns a copy;
4. zeros of the right shape.

A grader that runs learner code in the judge's process, or in a process forked from one that
has loaded the reference solutions or computed expected values, hands over the answers. The
grader must run it where none of that exists. There it finds only the planned inputs, so
every value check fails; it leaves its arguments alone, so arguments_unchanged passes (advice,
no points): 0 of 10.
"""

import contextlib
import gc
import inspect
import os
import sys
from pathlib import Path
from types import FunctionType
from typing import Any

import numpy as np

FILE = "exercise04_losses.py"
HERE = os.path.realpath(__file__)


def _frames() -> list[Any]:
    """Every frame below this file's own, by sys._getframe and by inspect.stack."""
    frames = []
    frame = sys._getframe(1)
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    with contextlib.suppress(Exception):
        frames += [info.frame for info in inspect.stack(0) if info.frame not in frames]
    return [f for f in frames if os.path.realpath(f.f_code.co_filename) != HERE]


def _is_reference(value: Any, name: str) -> bool:
    if not isinstance(value, FunctionType) or value.__name__ != name:
        return False
    filename = value.__code__.co_filename
    return os.path.basename(filename) == FILE and os.path.realpath(filename) != HERE


def _namespaces(value: Any) -> list[dict[str, Any]]:
    found = []
    for attribute in ("__dict__", "f_globals", "f_locals"):
        try:
            namespace = getattr(value, attribute)
        except Exception:
            continue
        if isinstance(namespace, dict):
            found.append(namespace)
    return found


def _reference_in_memory(name: str) -> Any:
    for function in gc.get_objects():
        if _is_reference(function, name):
            return function
    for frame in _frames():
        for namespace in _namespaces(frame):
            for value in list(namespace.values()):
                if _is_reference(value, name):
                    return value
                candidate = getattr(value, name, None)
                if _is_reference(candidate, name):
                    return candidate
    return None


def _reference_on_a_path_in_a_frame(name: str) -> Any:
    for frame in _frames():
        for value in list(frame.f_locals.values()):
            if not isinstance(value, str | Path):
                continue
            try:
                path = Path(value)
                candidate = path / FILE if path.is_dir() else None
                if candidate is None or not candidate.is_file():
                    continue
                if os.path.realpath(candidate) == HERE:
                    continue
                source = candidate.read_text()
            except (OSError, ValueError):
                continue
            if "BPGRADE-HOSTILE" in source or "NotImplementedError" in source:
                continue
            namespace: dict[str, Any] = {"__name__": "_found", "__file__": str(candidate)}
            try:
                exec(compile(source, str(candidate), "exec"), namespace)
            except Exception:
                continue
            if callable(namespace.get(name)):
                return namespace[name]
    return None


def _arrays_in(value: Any) -> list[np.ndarray]:
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, list | tuple):
        items = list(value)
    else:
        namespace = value if isinstance(value, dict) else getattr(value, "__dict__", None)
        items = list(namespace.values()) if isinstance(namespace, dict) else []
    return [v for v in items if isinstance(v, np.ndarray)]


_memory: list[np.ndarray] = []


def _arrays_in_memory() -> list[np.ndarray]:
    """Every float array held by an object the garbage collector tracks; one sweep per
    process (a sweep takes a while, and the grader calls every function many times)."""
    if not _memory:
        _memory.extend(
            array
            for thing in gc.get_objects()
            for array in _arrays_in(thing)
            if array.dtype.kind == "f"
        )
    return _memory


def _array_of_shape(shape: tuple[int, ...], arguments: tuple[Any, ...]) -> Any:
    def usable(array: np.ndarray) -> bool:
        return (
            array.shape == shape
            and array.dtype.kind == "f"
            and not any(array is a or np.shares_memory(array, a) for a in arguments)
            and not any(np.array_equal(array, a) for a in arguments if np.shape(a) == shape)
        )

    for frame in _frames():
        for value in list(frame.f_locals.values()):
            for array in _arrays_in(value):
                if usable(array):
                    return array.copy()
    for array in _arrays_in_memory():
        if usable(array):
            return array.copy()
    return None


def _steal(name: str, arguments: tuple[Any, ...], shape: tuple[int, ...], zeros: Any) -> Any:
    with contextlib.suppress(Exception):
        found = _reference_in_memory(name) or _reference_on_a_path_in_a_frame(name)
        if found is not None:
            return found(*arguments)
        array = _array_of_shape(shape, tuple(a for a in arguments if isinstance(a, np.ndarray)))
        if array is not None:
            return array if not isinstance(zeros, tuple) else (0.0, array)
    return zeros


def mse_loss(Y_hat: np.ndarray, Y: np.ndarray) -> float:
    return _steal("mse_loss", (Y_hat, Y), (), 0.0)


def mse_backward(Y_hat: np.ndarray, Y: np.ndarray) -> np.ndarray:
    return _steal("mse_backward", (Y_hat, Y), Y_hat.shape, np.zeros(Y_hat.shape))


def softmax(Z: np.ndarray) -> np.ndarray:
    return _steal("softmax", (Z,), Z.shape, np.zeros(Z.shape))


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    zeros = (0.0, np.zeros(logits.shape))
    return _steal("softmax_cross_entropy", (logits, labels), logits.shape, zeros)
