"""Is a learner's value of the type the contract states? Judged as it came back, before any
number is compared: a list, a float32 array or an int bias is wrong even where its numbers
are right, and says so in a sentence of its own.

The contract: arrays are `numpy.ndarray` of `float64`; scalars are Python floats (NumPy
float64 scalars, and 0-d float64 arrays, are accepted).
"""

from __future__ import annotations

from typing import Any

import numpy as np

COURSE_DTYPE = np.dtype(np.float64)


def type_problem(received: Any, expected: Any, name: str) -> str | None:
    """What is wrong with the type of `received`, in words; None when it is what `expected`
    is. Shapes and values are judged afterwards, elsewhere."""
    if isinstance(expected, np.ndarray) and expected.ndim > 0:
        return _array_problem(received, expected.dtype, name)
    if _is_float(expected):
        return _scalar_problem(received, name)
    return None


def _is_float(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.ndim == 0 and value.dtype.kind == "f"
    return isinstance(value, float | np.floating)


def _array_problem(received: Any, dtype: np.dtype, name: str) -> str | None:
    if isinstance(received, list | tuple):
        kind = "list" if isinstance(received, list) else "tuple"
        return (
            f"{name} is a Python {kind}; return a NumPy array (build it with NumPy operations, "
            "or wrap it in np.array(...))."
        )
    if not isinstance(received, np.ndarray):
        return None  # a number where an array belongs: the shapes tell that story
    if received.dtype == dtype or dtype != COURSE_DTYPE:
        return None
    return f"{name} {dtype_sentence(received.dtype)}"


def _scalar_problem(received: Any, name: str) -> str | None:
    if isinstance(received, bool):
        return f"{name} is a bool; return a float."
    if isinstance(received, np.ndarray) and received.ndim == 0 and received.dtype != COURSE_DTYPE:
        return f"{name} {dtype_sentence(received.dtype)}"
    return None


def dtype_sentence(dtype: np.dtype) -> str:
    """The rest of a sentence that starts with the value's name."""
    if dtype.kind == "f" and dtype.itemsize < 8:
        return (
            f"has dtype {dtype.name}, which keeps only about {3 if dtype.itemsize == 2 else 7} "
            "significant digits; the course computes in float64 (drop .astype(np.float32), "
            "dtype=np.float32 or np.float32(...))."
        )
    if dtype.kind == "f":
        return (
            f"has dtype {dtype.name} (np.longdouble); the course computes in float64: "
            "use NumPy's default float64."
        )
    if dtype.kind in "iub":
        return (
            f"has dtype {dtype.name}, not float64: np.zeros(shape) and np.ones(shape) are "
            "float64, but dtype=int (or an integer array) is not."
        )
    return f"has dtype {dtype.name}; the course uses float64."
