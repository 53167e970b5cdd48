"""Is a learner's value right? Tolerances, and the numbers that say how far off it is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# Against the reference: loops, einsum, a tanh-based sigmoid all land within 1e-13 or so of
# each value (or of the output's own scale, where a value is rounding noise). float32 keeps
# about 7 digits, so float32 arithmetic is off by 1e-8 or more on every draw: it fails every
# time, with a sentence that names it (diagnose.precision), never on some seeds only.
RTOL = 1e-9
ATOL = 1e-11
# float32 arithmetic lands within this of the right values: what names it
FLOAT32_RTOL = 1e-5
# Against central differences (h = 1e-6), whose own error is about 1e-8 at these sizes.
NUMERIC_RTOL = 1e-5
NUMERIC_ATOL = 1e-6


class NotNumeric(ValueError):
    """The learner's value cannot be read as numbers."""


def as_array(value: Any) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise NotNumeric(str(exc)) from None
    return array


def _scale(expected: np.ndarray) -> float:
    finite = np.abs(expected[np.isfinite(expected)])
    return max(1.0, float(finite.max(initial=0.0)))


def wrong_cells(
    received: np.ndarray, expected: np.ndarray, rtol: float = RTOL, atol: float = ATOL
) -> np.ndarray:
    """A boolean mask of the cells that differ; shapes must already agree."""
    tolerance = atol * _scale(expected) + rtol * np.abs(expected)
    with np.errstate(invalid="ignore", over="ignore"):
        far = ~(np.abs(received - expected) <= tolerance)
    both_nan = np.isnan(received) & np.isnan(expected)
    same_inf = np.isinf(received) & (received == expected)
    return far & ~both_nan & ~same_inf


def close(received: Any, expected: Any, rtol: float = RTOL, atol: float = ATOL) -> bool:
    try:
        r, e = as_array(received), as_array(expected)
    except NotNumeric:
        return False
    return r.shape == e.shape and not wrong_cells(r, e, rtol, atol).any()


def close_where_known(received: np.ndarray, oracle: np.ndarray, rtol: float, atol: float) -> bool:
    """Like close, judging only the cells where the oracle has an answer (not NaN): a numeric
    gradient has none at a kink."""
    if received.shape != oracle.shape:
        return False
    known = ~np.isnan(oracle)
    return not wrong_cells(received[known], oracle[known], rtol, atol).any()


@dataclass(frozen=True)
class Mismatch:
    """How a received array differs from the expected one (same shapes)."""

    wrong: np.ndarray  # mask
    max_abs: float
    max_rel: float | None  # None when every wrong cell should have been 0

    @property
    def count(self) -> int:
        return int(self.wrong.sum())


def mismatch(
    received: np.ndarray, expected: np.ndarray, rtol: float = RTOL, atol: float = ATOL
) -> Mismatch:
    wrong = wrong_cells(received, expected, rtol, atol)
    with np.errstate(all="ignore"):
        diff = np.abs(received - expected)
        rel = diff / np.abs(expected)
    diff = np.where(np.isnan(diff), np.inf, diff)
    # a relative error means nothing where the expected value is 0
    meaningful = wrong & (np.abs(expected) > 1e-12 * _scale(expected))
    rel = np.where(np.isnan(rel), np.inf, rel)
    return Mismatch(
        wrong=wrong,
        max_abs=float(diff[wrong].max(initial=0.0)),
        max_rel=float(rel[meaningful].max()) if meaningful.any() else None,
    )


@dataclass(frozen=True)
class Magnitude:
    """Values judged by their order of magnitude alone, where the digits are rounding noise
    that differs between right answers (the relative error of a correct backward pass, about
    1e-10 here and 1e-11 there): an expected value below `small` is noise, and the received
    one must be below it too; one above `large` (or infinite) is a real error, and the
    received one must be above it too; one in between is judged as usual."""

    small: float
    large: float

    def classes(self, values: Any) -> np.ndarray:
        """-1 for noise, 1 for a real error, 0 in between, NaN for NaN, cell by cell."""
        v = np.abs(as_array(values))
        with np.errstate(invalid="ignore"):
            out = np.where(v < self.small, -1.0, np.where(v > self.large, 1.0, 0.0))
        return np.where(np.isnan(v), np.nan, out)

    def wrong_cells(self, received: np.ndarray, expected: np.ndarray) -> np.ndarray:
        """A boolean mask of the cells of another size than expected (shapes agree)."""
        r, e = self.classes(received), self.classes(expected)
        both_nan = np.isnan(r) & np.isnan(e)
        differ = ~(r == e) & ~both_nan
        between = (e == 0) & (r == 0)
        return differ | (between & wrong_cells(received, expected))

    def matches(self, received: np.ndarray, modeled: np.ndarray) -> bool:
        """Whether `received` is what a modelled mistake gives: noise where it gives noise, and
        its real errors to six digits (a real error is no noise: it tells mistakes apart)."""
        if received.shape != modeled.shape or self.wrong_cells(received, modeled).any():
            return False
        real = ~(self.classes(modeled) < 0)
        return not wrong_cells(received[real], modeled[real], rtol=1e-6, atol=0.0).any()

    def words(self, value: float) -> str:
        """What an expected value is, in words."""
        if np.isnan(value):
            return "NaN"
        if abs(value) < self.small:
            return f"below {self.small:g} (rounding noise)"
        if abs(value) > self.large:
            return f"above {self.large:g}"
        return f"{value:.4g}"
