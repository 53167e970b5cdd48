"""Words and tables for a learner: what was called, what came back, and where it differs."""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.calls import Frame, LearnerError, Ref
from grader.judge.compare import Mismatch

SIDE_BY_SIDE_MAX = 30  # cells; larger arrays get the numbers without the table
ITEMS_SHOWN = 8  # of a dict, tuple or list described in words; the rest are counted
DEPTH_SHOWN = 4  # of nested containers described in words
STRING_SHOWN = 200  # characters of a string shown (a graph's program, an activation's name)

# Every text here costs what it shows, never what the value holds: a shape is printed, not
# walked (np.zeros((10**12, 0)) has a trillion rows and no element), and a table is drawn only
# for a few cells.


def describe_value(value: Any, depth: int = 0) -> str:
    if isinstance(value, Ref):
        return "<the cache from your forward pass>"
    if isinstance(value, np.ndarray):
        if value.ndim:
            return str(value.shape)
        value = value.item()  # a number, described as one below
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int):
        return str(value)  # a seed must print whole, so that the learner can rerun it
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, str):
        shown = value[:STRING_SHOWN]
        return repr(shown) + (
            f"... {len(value) - STRING_SHOWN} more characters" if len(value) > STRING_SHOWN else ""
        )
    if isinstance(value, dict | tuple | list) and depth >= DEPTH_SHOWN:
        return "{...}" if isinstance(value, dict) else "(...)"
    if isinstance(value, dict):
        items = [f"{k}: {describe_value(v, depth + 1)}" for k, v in _first(value.items())]
        return "{" + ", ".join(items + _more(len(value))) + "}"
    if isinstance(value, tuple | list):
        items = [describe_value(v, depth + 1) for v in _first(value)]
        return "(" + ", ".join(items + _more(len(value))) + ")"
    return type(value).__name__


def _first(items: Any) -> list[Any]:
    return [item for _, item in zip(range(ITEMS_SHOWN), items, strict=False)]


def _more(count: int) -> list[str]:
    return [f"... {count - ITEMS_SHOWN} more"] if count > ITEMS_SHOWN else []


def describe_call(function: str, names: tuple[str, ...], args: tuple[Any, ...]) -> str:
    shown = ", ".join(
        f"{name}={describe_value(arg)}"
        if not isinstance(arg, np.ndarray) or arg.ndim == 0
        else f"{name} {describe_value(arg)}"
        for name, arg in zip(names, args, strict=False)
    )
    return f"{function}({shown})"


def describe_error(error: LearnerError, function: str, called: str = "") -> str:
    """The learner's error in words; `called` (the call with its shapes) where it helps."""
    if error.kind == "not_implemented":
        return f"{function} is not implemented yet (it still raises NotImplementedError)."
    if error.kind == "bad_return":
        return f"{called or function} {error.message}."
    if error.kind == "skipped":
        return f"{function} could not be called: {error.message}."
    if error.kind == "aborted":  # the sandbox stopped the learner's code before it answered
        return f"{called or function} did not answer: {error.message}."
    lines = [f"{called or function} raised {error.type}: {_clipped(error.message)}"]
    frames: tuple[Frame | None, ...] = error.frames
    if len(frames) > 2 * FRAMES_SHOWN:  # endless recursion: the top and the bottom tell it all
        hidden = len(frames) - 2 * FRAMES_SHOWN
        frames = (*frames[:FRAMES_SHOWN], None, *frames[-FRAMES_SHOWN:])
    for frame in frames:
        if frame is None:
            lines.append(f"  ... {hidden} more calls like these ...")
            continue
        lines.append(f"  {frame.file}, line {frame.line}, in {_clipped(frame.function)}")
        if frame.code:
            lines.append(f"    {_clipped(frame.code)}")
    return "\n".join(lines)


FRAMES_SHOWN = 3
MESSAGE_SHOWN = 500


def _clipped(text: str) -> str:
    return text if len(text) <= MESSAGE_SHOWN else text[:MESSAGE_SHOWN] + " [...]"


CELL_DIGITS = 4  # significant digits of a table's cells, where they tell wrong from right
CELL_DIGITS_MOST = 10


def _cell(x: float, digits: int = CELL_DIGITS) -> str:
    return f"{x:.{digits}g}"


def _digits(expected: np.ndarray, received: np.ndarray, marks: np.ndarray | None) -> int:
    """The fewest significant digits, from CELL_DIGITS, at which every wrong cell reads
    unlike the expected one: a starred 0.09056 beside an expected 0.09056 tells nothing (an
    eps left out of a square root is off in the sixth digit)."""
    if marks is None or expected.shape != received.shape:
        return CELL_DIGITS
    wrong = marks.reshape(expected.shape) & np.isfinite(expected) & np.isfinite(received)
    pairs = list(zip(expected[wrong].tolist(), received[wrong].tolist(), strict=True))
    for digits in range(CELL_DIGITS, CELL_DIGITS_MOST + 1):
        if all(_cell(e, digits) != _cell(r, digits) for e, r in pairs):
            return digits
    return CELL_DIGITS_MOST


def _rows(
    array: np.ndarray, marks: np.ndarray | None, width: int, digits: int = CELL_DIGITS
) -> list[str]:
    """One line per row: only ever called on a small array (see `small`)."""
    grid = array.reshape(1, -1) if array.ndim < 2 else array
    mask = None if marks is None else marks.reshape(grid.shape)
    rows = []
    for i, row in enumerate(grid):
        cells = [
            f"{_cell(x, digits):>{width}}" + ("*" if mask is not None and mask[i, j] else " ")
            for j, x in enumerate(row)
        ]
        rows.append("[" + " ".join(cells) + "]")
    return rows


def side_by_side(expected: np.ndarray, received: np.ndarray, marks: np.ndarray | None) -> str:
    """Expected and received next to each other, wrong cells starred, for small arrays."""
    if not small(expected, received):  # a table of anything else costs what it holds
        return ""
    digits = _digits(expected, received, marks)
    cells = np.concatenate([expected.ravel(), received.ravel()])
    width = max((len(_cell(x, digits)) for x in cells), default=1)
    left = _rows(expected, None, width, digits)
    right = _rows(received, marks, width, digits)
    span = max((len(row) for row in left), default=0)
    height = max(len(left), len(right))
    left += [""] * (height - len(left))
    right += [""] * (height - len(right))
    note = "   (* = wrong)" if marks is not None else ""
    header = f"    {'expected':<{span}}   received{note}"
    return "\n".join(
        [header, *(f"    {a:<{span}}   {b}" for a, b in zip(left, right, strict=True))]
    )


def small(*arrays: np.ndarray) -> bool:
    """Worth a table: a few cells in a few rows, in at most two dimensions. Every dimension
    is looked at, not only the size: np.zeros((10**12, 0)) has no cell and 10**12 rows."""
    return all(
        a.size <= SIDE_BY_SIDE_MAX and a.ndim <= 2 and all(n <= SIDE_BY_SIDE_MAX for n in a.shape)
        for a in arrays
    )


def describe_mismatch(
    name: str, received: np.ndarray, expected: np.ndarray, diff: Mismatch | None
) -> str:
    """The numbers of a wrong array: shapes, how many cells differ and by how much, the table."""
    lines = []
    scalar = expected.ndim == 0 and received.ndim == 0
    if diff is None:
        lines.append(f"  {name}: expected shape {expected.shape}, received {received.shape}.")
    elif scalar:
        lines.append(f"  {name}: a number as expected, {_how_far(received, diff)}.")
    else:
        count = f"{diff.count} of {expected.size} {_plural(expected.size, 'element')}"
        lines.append(
            f"  {name}: shape {expected.shape} as expected; {count} "
            f"{'differs' if diff.count == 1 else 'differ'}; {_how_far(received, diff)}."
        )
    if scalar:
        lines.append(f"    expected {float(expected):.8g}, received {float(received):.8g}")
    elif small(expected, received):
        lines.append(side_by_side(expected, received, None if diff is None else diff.wrong))
    return "\n".join(lines)


def _plural(count: int, noun: str) -> str:
    return noun if count == 1 else noun + "s"


def _how_far(received: np.ndarray, diff: Mismatch) -> str:
    """The largest error, and how large that is next to the values expected, in words."""
    broken = int((diff.wrong & ~np.isfinite(received)).sum())
    if broken:  # an error of inf says nothing; the NaNs are the news
        return f"{broken} of them NaN or infinite" if received.ndim else "but NaN or infinite"
    far = f"largest error {diff.max_abs:.3g}" if received.ndim else f"off by {diff.max_abs:.3g}"
    if diff.max_rel is None:
        return far
    share = _relative(diff.max_rel)
    if received.ndim and not share.startswith("less"):  # the largest share of many cells
        share = "up to " + share
    return f"{far} ({share} of the expected value)"


def _relative(rel: float) -> str:
    """A relative error (error / size of the expected value) as a share a learner reads."""
    if rel < 1e-4:  # right to 4 digits, and still wrong: the tolerance is far tighter
        return "less than 0.01%"
    return f"{100 * rel:.3g}%" if rel < 10 else f"{rel:,.0f} times the size"
