"""The contract's "no function modifies its arguments", judged over every call of an exercise:
advice, worth no points.

Why advice, and not points judged some other way. Whether a function left its arguments alone
is a side effect on objects that live only in the learner's process, and the judge learns of
it only from that process's report: the runner that compares the arguments before and after
the call runs there too, so a learner who patches it (or writes frames to the result pipe)
reports "unchanged" for a function that still writes into its input, at no cost and in every
exercise. Arranging calls so that a modified argument shows up as a wrong value later (the
same objects handed to a second call, forward and backward sharing an input, sgd_step twice
on one params) does not close it: the objects reach the function through that same patched
runner, which can hand every call a fresh copy, so the later values come back right while the
function still modifies its input. A returned value is different: it is judged against the
reference, so forging a right one costs what computing it does. With the calls made in the
learner's process, no arrangement makes this verdict more than the process's word; a point on
it would reward knowing the grader, not backpropagation. So it is judged and shown as before
(its message and its `argument_modified` diagnosis) as advice; its point went to a value
check of the same exercise, so every exercise keeps its total (exercises/catalog.toml).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, ClassVar

import numpy as np

from grader.calls import Call, Opaque, Ref
from grader.checks.base import Case, Check, Evidence, Verdict
from grader.judge.compare import NotNumeric, as_array

TAG = "Advice (no points): "  # every message of this check says what it is worth
ADVICE = (
    "Assignments such as Z[mask] = 0, Z -= Z.max(...) or params[k] -= ... write into the "
    "caller's array; build a new one instead (np.maximum(Z, 0), Z - Z.max(...), "
    "{k: params[k] - lr * grads[k] for k in params})."
)


VIEW_ADVICE = (
    "Return a new array: an operation that makes one (dZ.sum(axis=0), A * B, np.maximum), or "
    ".copy() where you would hand back an argument or a slice of it (dZ[0], X.T, "
    "Y.reshape(...))."
)


@dataclass(frozen=True)
class ArgumentsUnchanged(Check):
    """Compares each argument after the call, as the learner's process reports it, with what
    the judge passed in; and whether the result shares memory with an argument, as it reports
    too. Advice: see this module's docstring."""

    advisory: ClassVar[bool] = True
    arguments: dict[str, tuple[str, ...]] = field(default_factory=dict)  # function -> names
    name: str = "arguments_unchanged"
    function: str = ""

    def cases(self, rng: np.random.Generator) -> list[Case]:
        return []

    def calls_for(self, case: Case, id: str) -> list[Call]:
        return []

    def judge(self, reference: ModuleType, evidence: Evidence) -> Verdict:
        returned: set[str] = set()
        for call, result in zip(evidence.exercise_calls, evidence.exercise_results, strict=True):
            names = self.arguments.get(call.function, ())
            for index, (before, after) in enumerate(
                zip(call.args, result.args_after, strict=False)
            ):
                change = change_of(before, after)
                if change:
                    name = names[index] if index < len(names) else f"argument {index + 1}"
                    return Verdict(
                        False,
                        TAG
                        + f"{call.function} changed its argument {name} in place ({change}). "
                        + ADVICE,
                        "argument_modified",
                    )
            for where in result.aliases:
                name = names[where] if isinstance(where, int) and where < len(names) else str(where)
                return Verdict(
                    False,
                    TAG + f"{call.function} returned {name} itself, or a view of it: its result "
                    f"shares memory with the argument {name}, so whoever changes the result "
                    f"changes {name} too. " + VIEW_ADVICE,
                    "argument_modified",
                )
            if result.error is None:
                returned.add(call.function)
        pending = [f for f in self.arguments if f not in returned]
        if pending:
            return Verdict(
                False,
                TAG + f"Not every function runs yet ({', '.join(pending)}); this check passes once "
                "they all return without changing their arguments.",
                not_started=len(returned) == 0,
            )
        return Verdict(True, TAG + "no function changed its arguments or handed one back.")


def change_of(before: Any, after: Any) -> str:
    """How `after` differs from `before`, in words; empty when they are the same."""
    if isinstance(before, Ref) or after is None:
        return ""
    if isinstance(after, Opaque):
        return f"it was replaced by a {after.type}"
    if isinstance(before, dict):
        if not isinstance(after, dict) or set(after) != set(before):
            return "its keys changed"
        for key in before:
            change = change_of(before[key], after[key])
            if change:
                return f"[{key!r}]: {change}"
        return ""
    if isinstance(before, np.ndarray):
        try:
            a = as_array(after)
        except NotNumeric:
            return "it is no longer an array of numbers"
        if a.shape != before.shape:
            return f"its shape went from {before.shape} to {a.shape}"
        differ = ~((a == before) | (np.isnan(a) & np.isnan(before)))
        if differ.any():
            count, noun = int(differ.sum()), "element" if before.size == 1 else "elements"
            verb = "differs" if count == 1 else "differ"
            return f"{count} of {before.size} {noun} {verb} after the call"
    return ""
