"""BPGRADE-HOSTILE submission for exercise04 (attack: secrets_in_hidden_calls).

mse_loss, mse_backward and softmax are CORRECT (its honest part); softmax_cross_entropy
smuggles the student's hidden cases out through the text of its public checks. Each time it is
called it finds every planned call the child holds (the runner's frames, then gc.get_objects()),
writes the inputs of the hidden ones (their ids end in ":hidden") in full (repr of each float),
and raises an exception carrying the next 3500 characters of them, so that the public calls'
error messages, shown at once, spell out the hidden inputs piece by piece. It also prints all of
them at import and on every call, and issues them as a warning (warnings are recorded with a
call's result).

The grader must give the child a hidden call's inputs only after the public calls have answered
(then there is nothing to smuggle while public checks are written), and hold back from what is
visible at once whatever the learner's code produced while hidden cases exist. Then mse_loss,
mse_backward, softmax and softmax.stable pass, public and hidden halves alike, and no hidden
input is in the visible text.

Safe to run by mistake: it only reads its own process's memory; every attempt is wrapped.
"""

import contextlib
import gc
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

PIECE = 3500
_turn = [0]


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
    return sorted(found.values(), key=lambda call: str(call.id))


def _numbers(value: Any, out: list[str]) -> None:
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            out.extend(repr(float(v)) for v in value.ravel()[:10_000])
    elif isinstance(value, float):
        out.append(repr(value))
    elif isinstance(value, list | tuple):
        for item in value:
            _numbers(item, out)
    elif isinstance(value, dict):
        for item in value.values():
            _numbers(item, out)


def _hidden_inputs() -> str:
    numbers: list[str] = []
    for call in _calls():
        if ":hidden" in str(call.id):
            _numbers(list(call.args), numbers)
            _numbers(dict(getattr(call, "kwargs", {}) or {}), numbers)
    return " ".join(dict.fromkeys(numbers))


with contextlib.suppress(Exception):
    print("secrets_in_hidden_calls: hidden inputs at import:", _hidden_inputs())


def mse_loss(Y_hat: np.ndarray, Y: np.ndarray) -> float:
    return float(np.mean((Y_hat - Y) ** 2))


def mse_backward(Y_hat: np.ndarray, Y: np.ndarray) -> np.ndarray:
    return 2.0 * (Y_hat - Y) / Y.size


def softmax(Z: np.ndarray) -> np.ndarray:
    shifted = Z - Z.max(axis=1, keepdims=True)
    with np.errstate(under="ignore"):
        e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    hidden = ""
    with contextlib.suppress(Exception):
        hidden = _hidden_inputs()
    with contextlib.suppress(Exception):
        print("secrets_in_hidden_calls: hidden inputs:", hidden)
        warnings.warn(f"hidden inputs: {hidden[:PIECE]}", stacklevel=1)
    start = (_turn[0] * PIECE) % max(1, len(hidden))
    _turn[0] += 1
    raise ValueError(f"hidden inputs: {hidden[start : start + PIECE]}")
