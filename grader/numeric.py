"""Finite differences: the gradient a backward function must agree with.

Small pure functions in the spirit of CS231n's gradient_check.py, and two ways to keep them
cheap on bigger tensors:

- above SAMPLE_ABOVE elements, central differences are taken at a seeded sample of elements
  only (CS231n's grad_check_sparse) and every other cell is NaN, "unknown", which the judge
  (grader.judge.compare.close_where_known) leaves unjudged;
- `cached_numeric` remembers an oracle's answer per case, so a batch computes the numeric
  gradient of a public case once, not once per submission.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools
import hashlib
import math
import os
import threading
import types
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

STEP = 1e-6

# Tensors up to this many elements are differenced at every element, as before sampling
# existed: every tensor of exercises 01-05 has 35 elements or fewer (specs/: the largest is
# a (5, 7) batch), so they are judged exactly as they always were. An (8, 8) is still whole;
# the (C, C) and (4C, C) weights of a tiny GPT block with C = 8 or more are sampled.
SAMPLE_ABOVE = 64


def numeric_gradient(
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    h: float = STEP,
    *,
    sample_above: int | None = SAMPLE_ABOVE,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Central differences of a scalar function f at x: (f(x + h) - f(x - h)) / 2h per element.

    Above `sample_above` elements (None: never), only the cells of `sample_indices` are
    differenced and the others are NaN; the sample is drawn from `rng`, by default one seeded
    from x itself (`input_rng`), so the same input always gets the same sample."""
    return _differences(f, x, h, sample_above, rng)[0]


def smooth_numeric_gradient(
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    h: float = STEP,
    *,
    sample_above: int | None = SAMPLE_ABOVE,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Central differences, with NaN where f has a kink within h of x (ReLU at 0, say).

    At a kink the two one-sided slopes disagree by far more than h * f'' and the central
    difference is their average, which no backward pass returns: such cells have no numeric
    answer, so inputs may sit exactly on a kink and still be checked everywhere else.
    Sampling above `sample_above` elements as in `numeric_gradient`."""
    grad, forward, backward = _differences(f, x, h, sample_above, rng)
    steeper = np.maximum(np.abs(forward), np.abs(backward))
    disagree = np.abs(forward - backward) > KINK_GAP * steeper + KINK_FLOOR
    return np.where(disagree, np.nan, grad)


# Where f is smooth, one-sided slopes differ by about h * |f''| plus rounding; at a kink by the
# jump in slope, and the central difference is off by half of it. Any gap that could put the
# central difference outside the judge's numeric tolerance (1e-5 relative, 1e-6 absolute) is
# taken for a kink and the cell left unjudged: skipping a smooth cell costs nothing, judging a
# kinked one would fail a right answer.
KINK_GAP = 1e-6
KINK_FLOOR = 1e-6


def _differences(
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    h: float,
    sample_above: int | None = None,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Central, forward and backward differences of f at x, element by element (NaN at the
    elements left out of the sample, if x is sampled)."""
    x = np.array(x, dtype=np.float64)
    if sample_above is None or x.size <= sample_above:
        indices: Any = np.ndindex(x.shape)
        above, below = np.zeros_like(x), np.zeros_like(x)
    else:
        flat = sample_indices(x.shape, rng if rng is not None else input_rng(x))
        indices = zip(*np.unravel_index(flat, x.shape), strict=True)
        above, below = np.full_like(x, np.nan), np.full_like(x, np.nan)
    centre = f(x)
    for index in indices:
        saved = x[index]
        x[index] = saved + h
        above[index] = f(x)
        x[index] = saved - h
        below[index] = f(x)
        x[index] = saved
    return (above - below) / (2 * h), (above - centre) / h, (centre - below) / h


def numeric_derivative(f: Callable[[float], float], x: float, h: float = STEP) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


def upstream_loss(
    forward: Callable[[np.ndarray], np.ndarray], upstream: np.ndarray
) -> Callable[[np.ndarray], float]:
    """The scalar sum(forward(x) * upstream), whose gradient is what a backward returns."""
    return lambda x: float(np.sum(forward(x) * upstream))


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """The largest elementwise |a - b| / max(|a| + |b|, tiny), as in CS231n."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)), initial=0.0))


# ---- the sample -------------------------------------------------------------------------
#
# A sampled check must still catch the mistakes the judge is there for. Those that touch
# every cell (transposed, unsummed, off by a factor, sign flipped, upstream ignored) show at
# any sampled cell; those that touch one part of the tensor must meet a sampled cell:
#
# - the two ends: the first and the last element (off-by-one loops, a forgotten last row);
# - a Latin hypercube of min(longest axis, AXIS_STRATA) points: along every axis each index
#   is sampled (each of AXIS_STRATA contiguous stretches, on an axis longer than that), and
#   the axes are permuted independently, so the points are not a diagonal: every row and
#   every column of a (64, 64) is checked, at different positions, and a wrong row, column,
#   head slice or batch item cannot hide;
# - a block grid: each axis cut into stretches of CELL_SIDE (fewer, longer ones where the
#   grid would pass GRID_CELLS cells: 8 x 8 for a big matrix) and one point drawn in every
#   cell, so a wrong block at least two cells wide along every axis (8 x 8 of a (32, 8),
#   16 x 16 of a (64, 64)) holds a whole cell and so a sampled point.
#
# At most 2 + AXIS_STRATA + GRID_CELLS = 130 cells per tensor however big: 3% of a (64, 64),
# about 50 of a (32, 8), 34 of a (16, 16).
AXIS_STRATA = 64
GRID_CELLS = 64
CELL_SIDE = 4


def input_rng(x: np.ndarray) -> np.random.Generator:
    """A generator seeded by a digest of x's shape, dtype and bytes: the same input, the
    same sample, in every process and on every run."""
    x = np.ascontiguousarray(x)
    digest = hashlib.sha256(f"{x.shape}{x.dtype.str}".encode())
    digest.update(x.tobytes())
    return np.random.default_rng(int.from_bytes(digest.digest()[:16], "little"))


def sample_indices(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """The flat indices, sorted and distinct, of the cells a sampled check differences."""
    size = math.prod(shape)
    if size == 0:
        return np.zeros(0, dtype=np.intp)
    if not shape:
        return np.zeros(1, dtype=np.intp)
    points = min(max(shape), AXIS_STRATA)
    hypercube = [rng.permutation(_one_per_stretch(dim, points, rng)) for dim in shape]
    most = max(1, math.floor(GRID_CELLS ** (1 / len(shape)) + 1e-9))
    per_axis = [min(-(-dim // CELL_SIDE), most) for dim in shape]
    cells = np.meshgrid(*(np.arange(count) for count in per_axis), indexing="ij")
    grid = [
        _within_stretch(dim, count, cell.reshape(-1), rng)
        for dim, count, cell in zip(shape, per_axis, cells, strict=True)
    ]
    picked = np.concatenate(
        [
            np.array([0, size - 1], dtype=np.intp),
            np.ravel_multi_index(tuple(hypercube), shape),
            np.ravel_multi_index(tuple(grid), shape),
        ]
    )
    return np.unique(picked)


def _stretches(dim: int, count: int) -> np.ndarray:
    """The bounds of `count` contiguous, non-empty, near-equal stretches of range(dim)."""
    return np.linspace(0, dim, count + 1).round().astype(np.intp)


def _one_per_stretch(dim: int, points: int, rng: np.random.Generator) -> np.ndarray:
    """`points` indices into range(dim) that hit every index (points >= dim) or else every
    one of `points` contiguous stretches."""
    if points >= dim:
        return np.resize(np.arange(dim, dtype=np.intp), points)
    return _within_stretch(dim, points, np.arange(points), rng)


def _within_stretch(
    dim: int, count: int, which: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """A random index inside stretch `which[i]` of `count` stretches of range(dim), per i."""
    bounds = _stretches(dim, count)
    return rng.integers(bounds[which], bounds[which + 1]).astype(np.intp)


# ---- the cache --------------------------------------------------------------------------
#
# Public cases are the same for every learner, so a batch asks for the same numeric gradient
# once per submission. An oracle is a pure function of what it is given (the reference module
# and the case), so its answer is kept under a digest of the oracle's identity (module,
# qualified name, code and what its closure holds) and of every argument's content (arrays
# by shape, dtype and bytes; a module by its own file's bytes, a reference solution being
# one file). Globals the oracle's code reads are taken as fixed for the process. Anything
# that cannot be digested faithfully is not cached: the oracle is simply run.

ORACLE_BUDGET = 32 * 2**20  # bytes of cached answers per process


class Uncacheable(Exception):
    """A value with no faithful digest, or an answer that is not plain numbers."""


class OracleCache:
    """A least-recently-used map from a digest to an oracle's answer, within `max_bytes`.

    Answers are stored as read-only copies and handed out as fresh copies: a caller that
    writes into what it got changes nothing here."""

    def __init__(self, max_bytes: int = ORACLE_BUDGET) -> None:
        self.max_bytes = max_bytes
        self.nbytes = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> tuple[bool, Any]:
        """(True, a copy of the answer) when `key` is cached, else (False, None)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return False, None
            self._entries.move_to_end(key)
            self.hits += 1
        return True, _copied(entry[0])

    def put(self, key: str, answer: Any) -> None:
        """Keep a frozen copy of `answer`, dropping the least recently used answers to stay
        within the budget; an answer bigger than the whole budget is not kept."""
        frozen = _frozen(answer)
        size = _nbytes(frozen)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.nbytes -= old[1]
            self._entries[key] = (frozen, size)
            self.nbytes += size
            while self.nbytes > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self.nbytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.nbytes = self.hits = self.misses = 0


ORACLE_CACHE = OracleCache()


def cached_numeric(
    oracle: Callable[..., Any],
    *args: Any,
    variable: str | None = None,
    cache: OracleCache | None = None,
) -> Any:
    """oracle(*args), computed once per distinct (oracle, args, variable) and then served
    from `cache` (the process's ORACLE_CACHE by default) as a fresh copy.

    `variable` names which output the answer is for, where one oracle serves several.
    Exceptions are not cached; an oracle or argument without a faithful digest, or an answer
    that is not numbers, arrays and containers of them, is computed every time."""
    store = ORACLE_CACHE if cache is None else cache
    try:
        key = oracle_key(oracle, *args, variable=variable)
    except Uncacheable:
        return oracle(*args)
    found, answer = store.get(key)
    if found:
        return answer
    answer = oracle(*args)
    with contextlib.suppress(Uncacheable):  # not plain numbers: served, never kept
        store.put(key, answer)
    return answer


def oracle_key(oracle: Callable[..., Any], *args: Any, variable: str | None = None) -> str:
    """A digest of the oracle's identity, its arguments' content and `variable`."""
    digest = hashlib.sha256()
    _feed(digest, oracle, set())
    _feed(digest, args, set())
    _feed(digest, variable, set())
    return digest.hexdigest()


def content_key(value: Any) -> str:
    """A digest of one value as `oracle_key` digests each of its parts."""
    digest = hashlib.sha256()
    _feed(digest, value, set())
    return digest.hexdigest()


def _feed(digest: Any, value: Any, path: set[int]) -> None:
    """Add a faithful, type-tagged description of `value` to `digest`."""

    def tag(text: str) -> None:
        digest.update(f"<{text}>".encode())

    if value is None or isinstance(value, bool | int | float | complex | str | bytes):
        tag(f"{type(value).__name__}:{value!r}")
        return
    if id(value) in path:  # a cycle (a case and its twin): its content is already fed
        tag("cycle")
        return
    path = path | {id(value)}
    if isinstance(value, np.ndarray | np.generic):
        array = np.asarray(value)
        if array.dtype.hasobject:
            raise Uncacheable("an object array")
        tag(f"array:{array.shape}:{array.dtype.str}")
        digest.update(np.ascontiguousarray(array).tobytes())
    elif isinstance(value, list | tuple):
        tag(f"{type(value).__name__}:{len(value)}")
        for item in value:
            _feed(digest, item, path)
    elif isinstance(value, dict):
        tag(f"dict:{len(value)}")
        for name, item in value.items():
            _feed(digest, name, path)
            _feed(digest, item, path)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        tag(f"dataclass:{type(value).__module__}.{type(value).__qualname__}")
        for field in dataclasses.fields(value):
            _feed(digest, field.name, path)
            _feed(digest, getattr(value, field.name), path)
    elif isinstance(value, functools.partial):
        tag("partial")
        _feed(digest, (value.func, value.args, value.keywords), path)
    elif isinstance(value, types.FunctionType):
        _feed_function(digest, value, path)
    elif isinstance(value, types.BuiltinFunctionType | np.ufunc):
        tag(f"builtin:{getattr(value, '__module__', None)}.{value.__name__}")
    elif isinstance(value, types.ModuleType):
        tag(f"module:{value.__name__}")
        digest.update(_module_bytes_digest(value))
    else:
        raise Uncacheable(f"no faithful digest of a {type(value).__name__}")


def _feed_function(digest: Any, function: types.FunctionType, path: set[int]) -> None:
    """A function by where it is defined, its code and what its closure and defaults hold:
    two closures of one factory over different values differ."""
    digest.update(f"<function:{function.__module__}.{function.__qualname__}>".encode())
    _feed_code(digest, function.__code__, path)
    _feed(digest, function.__defaults__, path)
    _feed(digest, function.__kwdefaults__, path)
    for cell in function.__closure__ or ():
        try:
            contents = cell.cell_contents
        except ValueError:  # an empty cell
            contents = None
        _feed(digest, contents, path)
    # globals the code reads are the module's, assumed fixed for the process's life


def _feed_code(digest: Any, code: types.CodeType, path: set[int]) -> None:
    digest.update(code.co_code)
    digest.update(repr(code.co_names).encode())
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            _feed_code(digest, constant, path)
        else:
            digest.update(repr(constant).encode())


@functools.lru_cache(maxsize=256)
def _file_digest(path: str, mtime_ns: int, size: int) -> bytes:
    with open(path, "rb") as source:
        return hashlib.sha256(source.read()).digest()


def _module_bytes_digest(module: types.ModuleType) -> bytes:
    """A module by the bytes of its source file: two loads of the same reference solution
    are one module, an edited solution another."""
    path = getattr(module, "__file__", None)
    if not path:
        raise Uncacheable(f"module {module.__name__} has no file")
    try:
        stat = os.stat(path)
    except OSError as error:
        raise Uncacheable(f"module {module.__name__}: {error}") from error
    return _file_digest(path, stat.st_mtime_ns, stat.st_size)


def _frozen(answer: Any) -> Any:
    """A deep copy of `answer` whose arrays are read-only; Uncacheable if it holds anything
    but numbers, strings, None, arrays and tuples, lists and dicts of them."""
    if answer is None or isinstance(answer, bool | int | float | complex | str):
        return answer
    if isinstance(answer, np.generic):
        return answer.copy()
    if isinstance(answer, np.ndarray):
        if answer.dtype.hasobject:
            raise Uncacheable("an object array")
        frozen = np.array(answer, copy=True)
        frozen.flags.writeable = False
        return frozen
    if isinstance(answer, list | tuple):
        return type(answer)(_frozen(item) for item in answer)
    if isinstance(answer, dict):
        return {name: _frozen(item) for name, item in answer.items()}
    raise Uncacheable(f"an answer of type {type(answer).__name__}")


def _copied(frozen: Any) -> Any:
    """A copy of a cached answer that its receiver may write into."""
    if isinstance(frozen, np.ndarray):
        return np.array(frozen, copy=True)
    if isinstance(frozen, list | tuple | dict):
        return copy.deepcopy(frozen)  # deepcopy of a read-only array is writeable
    return frozen


def _nbytes(frozen: Any) -> int:
    """Roughly what a cached answer holds in memory: its arrays' bytes plus a small
    allowance per object."""
    if isinstance(frozen, np.ndarray):
        return frozen.nbytes + 112
    if isinstance(frozen, list | tuple):
        return 64 + sum(_nbytes(item) for item in frozen)
    if isinstance(frozen, dict):
        return 64 + sum(_nbytes(item) + 64 for item in frozen.values())
    return 32
