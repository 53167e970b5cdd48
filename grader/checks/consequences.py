"""Causes before consequences, over the verdicts of one exercise.

A function that calls another (the spec's `uses`) fails wherever the function it calls is
wrong: one wrong da_dz fails neuron_gradients and descent_step too, and a transposed dW1 in
two_layer_backward shows as a broadcast error in train_step. Each check is judged on its own,
so only here, with every verdict at hand, can a failure be traced back to its cause. And where
several checks of one function fail with the same error (dX, dW and db of one crashing
backward), the error is shown once, by the first of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from grader.calls import LearnerError
from grader.checks.base import Check, Verdict

SUMMARY_WIDTH = 70  # characters of an error's own words in a "the same error as" line


def traced(checks: Sequence[Check], verdicts: Sequence[Verdict]) -> list[Verdict]:
    """The verdicts, each failing one that repeats an earlier error said in one line, and each
    that is likely a consequence of another function's failure pointing there."""
    return _with_causes(checks, _errors_once(checks, verdicts))


def _failing(verdict: Verdict, check: Check) -> bool:
    return not verdict.passed and not verdict.not_started and not check.advisory


def _errors_once(checks: Sequence[Check], verdicts: Sequence[Verdict]) -> list[Verdict]:
    first: dict[tuple[object, ...], str] = {}
    shown = []
    for check, verdict in zip(checks, verdicts, strict=True):
        error = verdict.error
        if error is None or not _failing(verdict, check):
            shown.append(verdict)
            continue
        key = (check.function, error.kind, error.type, error.message, error.frames)
        if key not in first:
            first[key] = check.name
            shown.append(verdict)
            continue
        message = f"{check.function}: the same error as {first[key]} ({_summary(error)})."
        shown.append(dataclasses.replace(verdict, message=message))
    return shown


def _summary(error: LearnerError) -> str:
    words = error.message.strip().splitlines()[0] if error.message.strip() else ""
    if len(words) > SUMMARY_WIDTH:
        words = words[: SUMMARY_WIDTH - 3] + "..."
    if error.kind == "aborted":
        return f"it did not answer: {words}" if words else "it did not answer"
    return f"{error.type}: {words}" if words else error.type or error.kind


def _with_causes(checks: Sequence[Check], verdicts: Sequence[Verdict]) -> list[Verdict]:
    failed: dict[str, str] = {}  # function -> its first failing check
    uses: dict[str, tuple[str, ...]] = {}
    for check, verdict in zip(checks, verdicts, strict=True):
        if check.function:
            uses[check.function] = (*uses.get(check.function, ()), *check.uses)
        if _failing(verdict, check) and check.function:
            failed.setdefault(check.function, check.name)
    traced_verdicts = []
    for check, verdict in zip(checks, verdicts, strict=True):
        path = _cause(check.function, uses, failed) if _failing(verdict, check) else []
        if len(path) < 2:
            traced_verdicts.append(verdict)
            continue
        headline, *rest = verdict.message.split("\n")
        pointer = f"  {_pointer(path, failed[path[-1]])}"
        message = "\n".join([headline, pointer, *rest])
        traced_verdicts.append(dataclasses.replace(verdict, message=message))
    return traced_verdicts


def _cause(function: str, uses: dict[str, tuple[str, ...]], failed: dict[str, str]) -> list[str]:
    """The chain from `function` through functions that fail, to the last of them: the
    deepest failure it calls is the one to fix first."""
    path = [function]
    while True:
        following = [f for f in uses.get(path[-1], ()) if f in failed and f not in path]
        if not following:
            return path
        path.append(following[0])


def _pointer(path: list[str], cause: str) -> str:
    """"Probably a consequence of local_derivatives.da_dz failing (descent_step uses
    neuron_gradients, which uses local_derivatives): fix that first."""
    chain = f"{path[0]} uses {path[1]}" + "".join(f", which uses {f}" for f in path[2:])
    if len(path) == 2:
        chain = f"{path[0]} uses it"
    return f"Probably a consequence of {cause} failing ({chain}): fix that first."
