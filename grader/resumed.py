"""A child stopped part way takes down what it was running, not what it never began.

A child runs an exercise's calls one after another. When a time or memory limit, a crash or an
exit stops it in one call, the calls after that one never began: without more, each would fail
with the error of the call that stopped it, so that one infinite loop in numeric_gradient also
failed rel_error, which never calls it. Those calls run once more, in a fresh child, without
the function that stopped the first, the functions of the learner's file that use it (read from
its text, never run), and any call that needs the answer of a call left out. The calls that
answered keep their results; what is not run again keeps the first child's error.

One fresh child at most, with the exercise's own limits: an exercise costs at most twice its
time limit, and a second function that stops it fails as before, with its own cause.
"""

from __future__ import annotations

from pathlib import Path

from grader.calls import Call, CallResult, Ref
from grader.catalog import ExerciseEntry
from grader.checks.consequences import Calls, learner_calls
from grader.sandbox import Outcome, Sandbox

ABORTED = "aborted"  # the error kind of a call a stopped child did not finish


def run_resuming(
    sandbox: Sandbox,
    path: Path,
    calls: list[Call],
    hidden: int,
    entry: ExerciseEntry,
    source: str | None,
) -> Outcome:
    """`Sandbox.run`, and the calls a stopped child never began run again in a fresh one.
    `source`: the learner's file as it was handed in, for who calls whom."""
    outcome = sandbox.run(path, calls, hidden, entry)
    results = outcome.results
    if outcome.stopped is None or not isinstance(results, list):
        return outcome
    stopped_in = _first_aborted(results)
    if stopped_in is None:
        return outcome
    left_out = _users_of(calls[stopped_in].function, learner_calls(source))
    again = _runnable([(i, calls[i]) for i in range(stopped_in + 1, len(calls))], left_out)
    if not again:
        return outcome
    first_hidden = len(calls) - hidden
    resumed = sandbox.run(
        path,
        [call for _, call in again],
        sum(1 for i, _ in again if i >= first_hidden),
        entry,
    )
    if not isinstance(resumed.results, list):  # it could not even load now: as it was
        return outcome
    merged = list(results)
    for (i, _), result in zip(again, resumed.results, strict=True):
        merged[i] = result
    return Outcome(
        merged,
        output=outcome.output + resumed.output,
        stopped=outcome.stopped,
        hidden_output=outcome.hidden_output + resumed.hidden_output,
    )


def _first_aborted(results: list[CallResult]) -> int | None:
    return next(
        (i for i, r in enumerate(results) if r.error is not None and r.error.kind == ABORTED),
        None,
    )


def _users_of(function: str, uses: Calls | None) -> set[str]:
    """`function` and every function of the learner's file that uses it, however indirectly."""
    found = {function}
    if uses is None:
        return found
    grown = True
    while grown:
        users = {name for name, used in uses.items() if found.intersection(used)}
        grown = not users <= found
        found |= users
    return found


def _runnable(pending: list[tuple[int, Call]], left_out: set[str]) -> list[tuple[int, Call]]:
    """The pending calls a fresh child can make: not of a function left out, and needing no
    answer but those of calls it makes before them."""
    chosen: list[tuple[int, Call]] = []
    made: set[str] = set()
    for index, call in pending:
        needs = [a.call for a in (*call.args, *call.kwargs.values()) if isinstance(a, Ref)]
        if call.function in left_out or not all(need in made for need in needs):
            continue
        chosen.append((index, call))
        made.add(call.id)
    return chosen
