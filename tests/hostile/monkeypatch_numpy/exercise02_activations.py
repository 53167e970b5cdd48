"""BPGRADE-HOSTILE submission for exercise02 (attack: monkeypatch_numpy).

Every function returns zeros. While it is imported, the file rewrites NumPy so that every
comparison a judge might make says "equal": np.allclose, np.array_equal and np.array_equiv
return True; np.isclose returns all True; np.testing.assert_allclose and its siblings do
nothing; np.abs, np.absolute and np.fabs return zeros (so |received - expected| <= tol holds
everywhere); np.max and np.amax return 0; np.isnan and np.isinf say False and np.isfinite True;
np.any and np.count_nonzero say nothing differs, np.all that everything agrees; np.linalg.norm
is 0; and the Python functions behind ndarray.any(), .all() and .max() are replaced too.

A judge that shares the learner's process (and so its numpy module) passes everything. The
grader must judge in a process the learner's code never ran in. Its honest part, zeros, earns
arguments_unchanged only (the arguments are left alone; advice, no points): 0 of 10.
"""

import contextlib

import numpy as np


def _true(*args: object, **kwargs: object) -> bool:
    return True


def _false(*args: object, **kwargs: object) -> bool:
    return False


def _nothing(*args: object, **kwargs: object) -> None:
    return None


def _zero(*args: object, **kwargs: object) -> float:
    return 0.0


def _zeros_like_first(x: object, *args: object, **kwargs: object) -> np.ndarray:
    return np.zeros(np.shape(x))


def _all_true_like_first(x: object, *args: object, **kwargs: object) -> np.ndarray:
    return np.ones(np.shape(x), dtype=bool)


def _all_false_like_first(x: object, *args: object, **kwargs: object) -> np.ndarray:
    return np.zeros(np.shape(x), dtype=bool)


def _patch(owner: object, name: str, liar: object) -> None:
    with contextlib.suppress(AttributeError, TypeError):  # read-only: nothing to gain there
        setattr(owner, name, liar)


def _lie() -> None:
    for name in ("allclose", "array_equal", "array_equiv", "all", "alltrue"):
        _patch(np, name, _true)
    for name in ("any", "sometrue"):
        _patch(np, name, _false)
    for name in ("abs", "absolute", "fabs"):
        _patch(np, name, _zeros_like_first)
    for name in ("max", "amax", "nanmax", "count_nonzero"):
        _patch(np, name, _zero)
    _patch(np, "isclose", _all_true_like_first)
    _patch(np, "isfinite", _all_true_like_first)
    _patch(np, "isnan", _all_false_like_first)
    _patch(np, "isinf", _all_false_like_first)
    _patch(np.linalg, "norm", _zero)
    for name in (
        "assert_allclose",
        "assert_array_equal",
        "assert_array_almost_equal",
        "assert_almost_equal",
        "assert_equal",
        "assert_array_less",
        "assert_array_max_ulp",
    ):
        _patch(np.testing, name, _nothing)
    # ndarray.any(), .all(), .max() call these Python helpers inside NumPy
    for module_name in ("numpy._core._methods", "numpy.core._methods"):
        try:
            methods = __import__(module_name, fromlist=["_any"])
        except Exception:
            continue
        _patch(methods, "_any", _false)
        _patch(methods, "_all", _true)
        _patch(methods, "_amax", _zero)


with contextlib.suppress(Exception):
    _lie()


def _zeros(Z: np.ndarray) -> np.ndarray:
    return np.zeros(np.shape(Z))


def sigmoid(Z: np.ndarray) -> np.ndarray:
    return _zeros(Z)


def sigmoid_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    return _zeros(Z)


def relu(Z: np.ndarray) -> np.ndarray:
    return _zeros(Z)


def relu_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    return _zeros(Z)


def tanh_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    return _zeros(Z)
