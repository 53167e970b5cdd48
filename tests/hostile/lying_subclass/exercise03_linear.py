"""BPGRADE-HOSTILE submission for exercise03 (attack: lying_subclass).

Every value it returns is zeros, dressed up to claim it is right:

- Liar, an ndarray subclass of zeros: ==, <=, >= are all True and !=, <, > all False; -, +, abs
  and negation give zeros; __array_ufunc__ answers equal/isclose/isfinite with True,
  isnan/isinf/greater with False and subtract/absolute/... with zeros; __array_function__
  answers np.allclose, np.array_equal and np.array_equiv with True, np.any with False, np.max
  with 0; .all() is True, .any() False, .max() and .sum() 0; bool() is True; copy, astype and
  deepcopy keep it a Liar; and pickling it gives back, wherever it is unpickled, an eval that
  returns unittest.mock.ANY, an object equal to everything (the payload only evaluates
  `unittest.mock.ANY`: it proves code runs, it does nothing else);
- Mimic, not an array at all, whose __class__ says np.ndarray, so isinstance(x, np.ndarray)
  is True; np.asarray(x) gives zeros through __array__, and it lies like Liar;
- LyingTuple, the tuple linear_backward returns, equal to any tuple.

A judge that compares these objects themselves, or unpickles them, passes everything. The
grader must reduce every returned value to plain numbers in the learner's process (a fresh
ndarray copy, no subclass) and send only that: everything fails but arguments_unchanged
(the arguments are left alone; advice, no points): 0 of 10.
"""

from typing import Any

import numpy as np

_ANY = "__import__('unittest.mock').mock.ANY"
TRUE_UFUNCS = {"equal", "less_equal", "greater_equal", "isfinite", "logical_not"}
FALSE_UFUNCS = {"not_equal", "less", "greater", "isnan", "isinf", "logical_or"}
ZERO_UFUNCS = {
    "subtract",
    "add",
    "absolute",
    "fabs",
    "negative",
    "multiply",
    "divide",
    "true_divide",
    "square",
    "sqrt",
    "power",
    "maximum",
    "minimum",
}
TRUE_FUNCTIONS = {"allclose", "array_equal", "array_equiv", "all"}
FALSE_FUNCTIONS = {"any"}
ZERO_FUNCTIONS = {"max", "amax", "sum", "count_nonzero", "norm", "nanmax"}


def _shape(*values: Any) -> tuple[int, ...]:
    try:
        return np.broadcast_shapes(*(np.shape(_plain(v)) for v in values))
    except ValueError:
        return np.shape(_plain(values[0]))


def _plain(value: Any) -> Any:
    if isinstance(value, Liar):
        return value.view(np.ndarray)
    if type(value) is Mimic:
        return np.zeros(value.shape)
    return value


def _evil_reduce() -> tuple[Any, tuple[str]]:
    return (eval, (_ANY,))


class _Lies:
    """The comparisons and arithmetic both liars share."""

    def __eq__(self, other: object) -> Any:  # type: ignore[override]
        return np.ones(_shape(self, other), dtype=bool)

    def __ne__(self, other: object) -> Any:  # type: ignore[override]
        return np.zeros(_shape(self, other), dtype=bool)

    def __le__(self, other: object) -> Any:
        return np.ones(_shape(self, other), dtype=bool)

    __ge__ = __le__

    def __lt__(self, other: object) -> Any:
        return np.zeros(_shape(self, other), dtype=bool)

    __gt__ = __lt__

    def __sub__(self, other: object) -> Any:
        return np.zeros(_shape(self, other))

    __rsub__ = __add__ = __radd__ = __sub__

    def __abs__(self) -> Any:
        return np.zeros(_shape(self))

    __neg__ = __abs__

    def __bool__(self) -> bool:
        return True

    def all(self, *args: Any, **kwargs: Any) -> bool:
        return True

    def any(self, *args: Any, **kwargs: Any) -> bool:
        return False

    def max(self, *args: Any, **kwargs: Any) -> float:
        return 0.0

    sum = max

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return _evil_reduce()

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, tuple[str]]:
        return _evil_reduce()

    __hash__ = None  # type: ignore[assignment]


class Liar(_Lies, np.ndarray):
    def __new__(cls, shape: tuple[int, ...]) -> "Liar":
        return np.zeros(shape).view(cls)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        name = ufunc.__name__
        if method == "__call__":
            if name in TRUE_UFUNCS:
                return np.ones(_shape(*inputs), dtype=bool)
            if name in FALSE_UFUNCS:
                return np.zeros(_shape(*inputs), dtype=bool)
            if name in ZERO_UFUNCS:
                return np.zeros(_shape(*inputs))
        return getattr(ufunc, method)(*(_plain(i) for i in inputs), **kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        name = func.__name__
        if name in TRUE_FUNCTIONS:
            return True
        if name in FALSE_FUNCTIONS:
            return False
        if name in ZERO_FUNCTIONS:
            return 0.0
        if name == "isclose":
            return np.ones(_shape(*args[:2]), dtype=bool)
        return func(*(_plain(a) for a in args), **kwargs)

    def copy(self, *args: Any, **kwargs: Any) -> "Liar":
        return Liar(self.shape)

    def astype(self, *args: Any, **kwargs: Any) -> "Liar":
        return self

    def __copy__(self) -> "Liar":
        return self.copy()

    def __deepcopy__(self, memo: Any) -> "Liar":
        return self.copy()


class Mimic(_Lies):
    """Not an array; isinstance(x, np.ndarray) is True all the same."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = tuple(shape)
        self.dtype = np.dtype(np.float64)
        self.ndim = len(self.shape)
        self.size = int(np.prod(self.shape))

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return np.ndarray

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.zeros(self.shape, dtype=dtype)

    def __len__(self) -> int:
        return self.shape[0] if self.shape else 0


class LyingTuple(tuple):
    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    __hash__ = tuple.__hash__


def linear_forward(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    return Liar((X.shape[0], W.shape[0]))


def linear_backward(
    dZ: np.ndarray, X: np.ndarray, W: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return LyingTuple((Liar(X.shape), Liar(W.shape), Mimic((W.shape[0],))))
