"""Naming the mistake behind a wrong answer.

Two sources, tried in order: the check's own models of known mistakes (what a learner who
forgot the upstream gradient would have returned on these very inputs), then detectors that
work on any array: a transpose, a constant factor, a flipped sign, a missing sum over the batch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import numpy as np

from grader.judge.compare import ATOL, FLOAT32_RTOL, NotNumeric, as_array, close

Diagnosis = Literal[
    "transposed",
    "scaled",
    "sign",
    "batch_sum",
    "upstream_ignored",
    "wrong_variable",
    "argument_modified",
    "unstable",
    "unseeded",  # randomness from outside the seed it was given
    # the training loop (exercise09): .grad never cleared; zero_grad, backward and step out of
    # order (or inside an accumulation loop); a loss returned as a tensor; a graph built where
    # none is needed; a module left in (or run in) the wrong mode
    "stale_gradients",
    "call_order",
    "tensor_returned",
    "graph_built",
    "wrong_mode",
]


@dataclass(frozen=True)
class Finding:
    tag: Diagnosis | None
    sentence: str
    # which explanation this is ("model:...", "ratio:N", "sign"): the judge trusts one only
    # where every wrong case that could show it does, never a coincidence of one case
    key: str = ""

    @property
    def family(self) -> str:
        """The detector behind the key: a case where it ran could have shown this key."""
        return self.key.split(":", 1)[0] if self.key.startswith("ratio:") else self.key


@dataclass(frozen=True)
class Reading:
    """Every explanation that fits one wrong case, best first, and the detectors that ran
    on it (those that could have fit but did not are evidence against their explanation)."""

    findings: tuple[Finding, ...] = ()
    tried: frozenset[str] = frozenset()

    @property
    def first(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    def allows(self, finding: Finding) -> bool:
        """True when this case shows `finding` too, or could not have shown it."""
        return finding.family not in self.tried or any(f.key == finding.key for f in self.findings)


@dataclass(frozen=True)
class Factor:
    """A size the learner may have multiplied or divided by, e.g. N, the batch size.

    `smallest` is the least value the contract lets this size take (batchnorm takes N >= 2):
    the cases meet it (tests/test_case_design.py)."""

    value: float
    meaning: str
    smallest: float = 1.0


COMMON_RATES = (1.0, 0.5, 0.3, 0.2, 0.1, 0.05, 0.03, 0.02, 0.01, 0.005, 0.001, 1e-4)


def model_finding(tag: Diagnosis | None, sentence: str) -> Finding:
    """The finding of a modelled mistake: its own sentence is its key."""
    return Finding(tag, sentence, f"model:{sentence}")


def diagnose(
    received: Any,
    expected: Any,
    *,
    name: str,
    modeled: Sequence[tuple[Finding, Any]] = (),
    generic: Sequence[tuple[Finding, Any]] = (),
    factors: Mapping[str, Factor] | None = None,
    baseline: Any = None,
    atol: float = ATOL,
) -> Reading:
    """Every explanation that fits `received` exactly, best first.

    `modeled` pairs each of the check's known mistakes with what it returns on these inputs;
    `generic` does the same for the mistakes any function can make with its arguments
    (swapped, transposed, an upstream left out), ranked after a flipped sign and a transposed
    result, the plainer names when a swap only flips or transposes it. `baseline`, when
    given, is subtracted from both sides before looking for a factor or a sign: an update is
    judged by its step. `atol` is how close a right answer must be (a check of values that
    carry rounding noise allows more): a known mistake matches as closely as that.
    """
    found: list[Finding] = []
    tried: set[str] = set()

    def models(pairs: Sequence[tuple[Finding, Any]]) -> None:
        for finding, value in pairs:
            tried.add(finding.family)
            if close(received, value, atol=max(atol, ATOL)):
                found.append(finding)

    models(modeled)
    try:
        r, e = as_array(received), as_array(expected)
    except NotNumeric:
        return Reading(tuple(found), frozenset(tried))
    name_of_step = name
    if baseline is not None and r.shape == e.shape == as_array(baseline).shape:
        b = as_array(baseline)
        tried.add("not_updated")
        if close(r, b) and not close(e, b):
            found.append(_not_updated(name))
        r, e, name_of_step = r - b, e - b, step_name(name)
    elif r.shape == e.shape:
        tried.add("float32")
        if _float32_close(r, e):
            found.append(_precision(name))
    if r.shape == e.shape:
        tried.update(("sign", "ratio"))
    if r.ndim == 2 and r.size == e.size:
        tried.add("transposed")
    if r.ndim == e.ndim + 1:
        tried.add("unsummed")
    found += [f for f in (_sign(r, e, name_of_step), _transposed(r, e, name_of_step)) if f]
    models(generic)
    unsummed = _unsummed(r, e, name_of_step)
    found += ([unsummed] if unsummed else []) + _scaled(r, e, name_of_step, factors or {})
    return Reading(tuple(found), frozenset(tried))


def step_name(name: str) -> str:
    """'new w' -> 'your step (new w - old w)'."""
    if name.startswith("new "):
        return f"your step ({name} - old {name[4:]})"
    return f"your step ({name} minus its old value)"


def _not_updated(name: str) -> Finding:
    return Finding(
        None,
        f"{name} was not updated: it is still the old value. Subtract lr times its gradient "
        "from it.",
        "not_updated",
    )


def _float32_close(r: np.ndarray, e: np.ndarray) -> bool:
    """Right to float32's 7 digits, and every value a float32 number (cast back from one)."""
    if not np.isfinite(r).all() or not close(r, e, FLOAT32_RTOL, FLOAT32_RTOL):
        return False
    with np.errstate(all="ignore"):
        return bool(np.array_equal(r.astype(np.float32).astype(np.float64), r))


def _precision(name: str) -> Finding:
    return Finding(
        None,
        f"{name} is right to about 7 significant digits only, and every value is a float32 "
        "number: the computation ran in float32 (an .astype(np.float32), dtype=np.float32, "
        "np.float32(...)) and was cast back. Keep every array float64.",
        "float32",
    )


def _hard_coded_rates(k: float, name: str, factors: Mapping[str, Factor]) -> list[Finding]:
    """A step made with a fixed learning rate instead of the lr argument."""
    lr = factors.get("lr")
    if lr is None or k <= 0:
        return []
    used = k * lr.value
    return [
        Finding(
            "scaled",
            f"{name} was taken with a learning rate of {rate:g}, not with lr = "
            f"{lr.value:g}, the argument: use lr itself, never a fixed number.",
            f"ratio:lr={rate:g}",
        )
        for rate in COMMON_RATES
        if abs(used - rate) <= 1e-6 * rate and abs(rate - lr.value) > 1e-12
    ]


def _ratio(r: np.ndarray, e: np.ndarray) -> float | None:
    """k when r is k times e (k not 1), else None."""
    if r.shape != e.shape or not np.isfinite(r).all() or not np.any(np.abs(e) > 1e-12):
        return None
    with np.errstate(over="ignore", invalid="ignore"):  # huge values have no finite ratio
        k = float(np.sum(r * e) / np.sum(e * e))
    if not np.isfinite(k) or abs(k - 1.0) < 1e-9 or abs(k) < 1e-12 or not close(r, k * e):
        return None
    return k


def _transposed(r: np.ndarray, e: np.ndarray, name: str) -> Finding | None:
    if e.ndim != 2 or r.size != e.size or r.ndim != 2:
        return None
    if r.shape == e.T.shape and r.shape != e.shape and close(r, e.T):
        return Finding(
            "transposed",
            f"{name} has the right numbers but is transposed: expected shape {e.shape}, "
            f"received {r.shape}. Check the order of your matrix product (A.T @ B versus B.T @ A).",
            "transposed",
        )
    if r.shape == e.shape and e.shape[0] == e.shape[1] and close(r, e.T):
        return Finding(
            "transposed",
            f"{name} is the transpose of the right answer. With a square shape a transpose "
            "goes unnoticed by the shapes: check the order of your matrix product "
            "(A.T @ B versus B.T @ A).",
            "transposed",
        )
    if r.shape == e.shape and close(r.ravel(), e.T.ravel()):
        return Finding(
            "transposed",
            f"{name} holds the transpose's numbers, reshaped to fit: reshape keeps the order "
            "of the elements, it does not transpose. Use .T (or fix the order of the product).",
            "transposed",
        )
    return None


def _unsummed(r: np.ndarray, e: np.ndarray, name: str) -> Finding | None:
    if (
        r.ndim == e.ndim + 1
        and r.shape[0] == 1
        and r.size == e.size
        and close(r.reshape(e.shape), e)
    ):
        return Finding(
            None,
            f"{name} has the right numbers with an extra axis of length 1 (shape {r.shape}); "
            f"drop keepdims=True, or index [0], to return shape {e.shape}.",
            "unsummed",
        )
    if r.ndim == e.ndim + 1 and r.shape[1:] == e.shape and close(r.sum(axis=0), e):
        return Finding(
            "batch_sum",
            f"{name} keeps one row per example (shape {r.shape}); add them up over the batch "
            f"with .sum(axis=0) to get shape {e.shape}.",
            "unsummed",
        )
    return None


def _sign(r: np.ndarray, e: np.ndarray, name: str) -> Finding | None:
    k = _ratio(r, e)
    if k is None or abs(k + 1.0) >= 1e-6:
        return None
    return Finding(
        "sign",
        f"{name} has the right size but the opposite sign. Check the order of a "
        "subtraction (Y_hat - Y, not Y - Y_hat) or a + that should be a -.",
        "sign",
    )


def _scaled(
    r: np.ndarray, e: np.ndarray, name: str, factors: Mapping[str, Factor]
) -> list[Finding]:
    """Every way of naming the ratio r / e: a fixed learning rate, N, 2, 1/ln 2..."""
    k = _ratio(r, e)
    if k is None or abs(k + 1.0) < 1e-6 or abs(k - 1.0) < 1e-6:
        return []  # a flipped sign has its own name; a ratio of 1 is no factor
    sign = " and the opposite sign" if k < 0 else ""
    return _hard_coded_rates(k, name, factors) + [
        Finding(
            "scaled", f"{name} is {words} times what it should be{sign}.", f"ratio:{symbol}{sign}"
        )
        for symbol, words in _name_factor(abs(k), factors, guess=r.size >= 4)
    ]


def _name_factor(k: float, factors: Mapping[str, Factor], guess: bool) -> list[tuple[str, str]]:
    """Every way to describe k as 2, 1/2, N, 1/N, 2/N, 1/ln 2... from the sizes of these
    inputs: a key that stays the same across cases, and words for the learner."""
    candidates: list[tuple[str, str, float]] = [
        ("2", "2", 2.0),
        ("1/2", "1/2", 0.5),
        ("1/ln2", "1/ln(2) (a log2 where the natural log np.log belongs)", 1 / math.log(2)),
        ("1/ln10", "1/ln(10) (a log10 where the natural log np.log belongs)", 1 / math.log(10)),
    ]
    for symbol, factor in factors.items():
        v = factor.value
        if v in (0, 1):
            continue
        where = f" ({symbol} = {v:g}, {factor.meaning})"
        candidates += [
            (symbol, symbol + where, v),
            (f"1/{symbol}", f"1/{symbol}" + where, 1 / v),
            (f"2{symbol}", f"2{symbol}" + where, 2 * v),
            (f"2/{symbol}", f"2/{symbol}" + where, 2 / v),
            (f"{symbol}/2", f"{symbol}/2" + where, v / 2),
            (f"1/(2{symbol})", f"1/(2{symbol})" + where, 1 / (2 * v)),
        ]
    named = [
        (symbol, words) for symbol, words, value in candidates if abs(k - value) <= 1e-6 * value
    ]
    if math.isfinite(k) and guess:
        fraction = Fraction(k).limit_denominator(12)
        if abs(float(fraction) - k) <= 1e-6 * k:
            named.append((str(fraction), str(fraction)))
    return named
