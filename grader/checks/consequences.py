"""Causes before consequences, over the verdicts of one exercise.

A function that calls another fails wherever the function it calls is wrong: one wrong da_dz
fails neuron_gradients and descent_step too, and a transposed dW1 in two_layer_backward shows
as a broadcast error in train_step. Each check is judged on its own, so only here, with every
verdict at hand, can a failure be traced back to its cause. Who calls whom is read from the
learner's own file (its text, parsed: never run), and where it cannot be, from the spec's
`uses` (what the stub and the contract build on). And where several checks of one function
fail with the same error (dX, dW and db of one crashing backward), the error is shown once,
by the first of them.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Sequence

from grader.calls import LearnerError
from grader.checks.base import Check, Verdict

SUMMARY_WIDTH = 70  # characters of an error's own words in a "the same error as" line
SOURCE_READ = 500_000  # characters of a learner's file parsed for who calls whom; more: not

Calls = dict[str, tuple[str, ...]]  # a top-level name of the file -> the top-level names it uses


def learner_calls(source: str | None) -> Calls | None:
    """For each function and class of the learner's file, the other top-level functions and
    classes of the file its body names, in order; None where the file cannot be parsed."""
    if source is None or len(source) > SOURCE_READ:
        return None
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    defined = {node.name: node for node in tree.body if isinstance(node, kinds)}
    calls: Calls = {}
    try:
        for name, node in defined.items():
            named = (n.id for n in ast.walk(node) if isinstance(n, ast.Name))
            calls[name] = tuple(dict.fromkeys(n for n in named if n in defined and n != name))
    except RecursionError:  # a body nested deeper than the walk can go
        return None
    return calls


def traced(
    checks: Sequence[Check], verdicts: Sequence[Verdict], calls: Calls | None = None
) -> list[Verdict]:
    """The verdicts, each failing one that repeats an earlier error said in one line, and each
    that is likely a consequence of another function's failure pointing there. `calls`: who
    calls whom in the learner's file (`learner_calls`), else the specs' `uses`."""
    return _with_causes(checks, _errors_once(checks, verdicts), calls)


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


def _with_causes(
    checks: Sequence[Check], verdicts: Sequence[Verdict], calls: Calls | None
) -> list[Verdict]:
    failed: dict[str, str] = {}  # function -> its first failing check
    declared: dict[str, tuple[str, ...]] = {}
    for check, verdict in zip(checks, verdicts, strict=True):
        if check.function:
            declared[check.function] = (*declared.get(check.function, ()), *check.uses)
        if _failing(verdict, check) and check.function:
            failed.setdefault(check.function, check.name)
    checked = {check.function for check in checks if check.function}
    uses = {f: _uses(f, declared.get(f, ()), calls, checked) for f in checked}
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


def _uses(
    function: str, declared: tuple[str, ...], calls: Calls | None, checked: set[str]
) -> tuple[str, ...]:
    """The checked functions `function` calls: in the learner's file, through any helpers of
    theirs that are not checked themselves; the spec's `uses` where the file does not say."""
    if calls is None or function not in calls:
        return declared
    found: list[str] = []
    seen = {function}
    waiting = list(calls[function])
    while waiting:
        name = waiting.pop(0)
        if name in seen:
            continue
        seen.add(name)
        if name in checked:
            found.append(name)
        else:  # a helper of theirs: what it calls, it calls on the function's behalf
            waiting.extend(calls.get(name, ()))
    first = [f for f in declared if f in found]  # the contract's order first
    return (*first, *(f for f in found if f not in first))


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
