"""One failing case of a check, as a short Python snippet the learner can run and change.

`bpgrade check exercise03 --case linear_backward.dW#1` names a case the way a report does
(`CheckReport.case`: the check, `#`, the case's number). The snippet imports the learner's
function from their file, builds the case's inputs as literals (every float written exactly,
so the call is the graded one), calls it, and prints the expected answer beside theirs.

The expected answer comes from the oracle the checks judge against (the reference solution, or
a release's recorded answers); the learner's answer from running their code in the sandbox, as
grading does: their code never runs in this process.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grader.calls import CallResult, NoResults, Ref
from grader.catalog import ExerciseEntry
from grader.checks.backward import CacheFedCheck
from grader.checks.base import Case, OutputCheck
from grader.grading import DEFAULT_SEED, catalog_checks, plan, reproducible
from grader.judge.feedback import describe_error
from grader.recorded import Unanswerable
from grader.reference import reference_for
from grader.sandbox import Sandbox

LITERAL_ELEMENTS = 10_000  # an input larger than this is not written out as a literal


class NotReproducible(ValueError):
    """The case named cannot be written as a snippet (in words for the learner)."""


@dataclass(frozen=True)
class Reproduction:
    """A case as a snippet, with the two answers as the grader has them."""

    case: str  # "linear_backward.dW#1"
    label: str  # the case's sizes in words
    snippet: str
    expected: str  # the expected answer, or why it is not available
    received: str  # the learner's answer from the sandbox, or their error


def parse_case(text: str) -> tuple[str, int]:
    """("linear_backward.dW", 1) from "linear_backward.dW#1"; the first case without "#N"."""
    name, hash_, number = text.partition("#")
    if not hash_:
        return name, 0
    if not number.isdigit():
        raise NotReproducible(f"{text!r}: a case is CHECK#N, N a number (as in the report)")
    return name, int(number)


def reproduce(
    entry: ExerciseEntry,
    case_text: str,
    folder: Path,
    solutions: Path,
    sandbox: Sandbox,
    seed: int = DEFAULT_SEED,
) -> Reproduction:
    """The snippet of one case of one of `entry`'s checks, graded from `folder`."""
    name, number = parse_case(case_text)
    check = _check(entry, name, solutions)
    planned = plan([check], seed)[0]
    if number >= len(planned.cases):
        raise NotReproducible(
            f"{name} has {len(planned.cases)} cases, numbered 0 to {len(planned.cases) - 1}"
        )
    case, calls = planned.cases[number], planned.calls[number]
    path = folder / entry.file
    if not path.is_file():
        raise NotReproducible(f"there is no {path} to reproduce it with")
    expected = _expected(check, entry, solutions, case)
    workspace = sandbox.workspace(folder)  # the learner's code runs on a copy, as graded
    try:
        outcome = sandbox.run(workspace / entry.file, calls, 0, entry)
    finally:
        sandbox.discard(workspace)
    return Reproduction(
        case=f"{name}#{number}",
        label=case.label,
        snippet=snippet(check, case, entry.file, expected),
        expected=(
            f"not available here ({expected.reason})"
            if isinstance(expected, Unavailable)
            else _shown(expected)
        ),
        received=_received(check, outcome.results),
    )


def _check(entry: ExerciseEntry, name: str, solutions: Path) -> OutputCheck:
    checks = {c.name: c for c in catalog_checks(entry, solutions)}
    if name not in checks:
        raise NotReproducible(f"{entry.name} has no check {name!r}: {', '.join(checks)}")
    check = checks[name]
    if not isinstance(check, OutputCheck) or not reproducible(check):
        raise NotReproducible(
            f"{name} judges more than one call of a function (it drives a class or callbacks, "
            "or looks at every call): it has no single call to write as a snippet"
        )
    return check


def _expected(check: OutputCheck, entry: ExerciseEntry, solutions: Path, case: Case) -> Any:
    """The expected answer, or Unavailable where the oracle has none for this case."""
    try:
        return check.expected_value(reference_for(entry, solutions), case)
    except Unanswerable as missing:
        return Unavailable(str(missing))


@dataclass(frozen=True)
class Unavailable:
    reason: str


def _received(check: OutputCheck, results: list[CallResult] | NoResults) -> str:
    if isinstance(results, NoResults):
        return f"no answer: {results.reason}"
    last = results[-1]
    for result in results:
        if result.error is not None and result.error.kind != "skipped":
            return describe_error(result.error, check.function)
    value = last.value
    if check.returned_part != check.part and isinstance(value, dict) and check.part in value:
        value = value[check.part]  # the whole dict came back, to be judged for its keys
    return _shown(value)


def _shown(value: Any) -> str:
    with np.printoptions(precision=8, threshold=200, linewidth=88):
        return repr(value)


def snippet(check: OutputCheck, case: Case, file: str, expected: Any) -> str:
    """Python that calls the learner's function on the case and prints both answers."""
    module = Path(file).stem
    lines = ["import numpy as np", ""]
    imported = [check.function]
    if isinstance(check, CacheFedCheck):
        imported.insert(0, check.forward)
    lines.append(f"from {module} import {', '.join(imported)}")
    lines.append("")
    names = list(check.arguments)
    if isinstance(check, CacheFedCheck):
        names = [*check.forward_arguments, *(n for n in names if n not in check.forward_arguments)]
    for name in names:
        if name in case.inputs and not (
            isinstance(check, CacheFedCheck) and name == check.cache_argument
        ):
            lines.append(f"{name} = {literal(case.inputs[name])}")
    if isinstance(check, CacheFedCheck):
        forward_args = ", ".join(check.forward_arguments)
        lines.append(f"_, {check.cache_argument} = {check.forward}({forward_args})[:2]")
    part = "" if check.part is None else f"[{check.part!r}]"
    lines.append(f"yours = {check.function}({', '.join(check.arguments)}){part}")
    if isinstance(expected, Unavailable):
        lines.append(f"# the expected answer is not available here: {expected.reason}")
        lines.append('print("yours:", yours)')
    else:
        lines.append(f"expected = {literal(expected)}")
        lines.append('print("expected:", expected)')
        lines.append('print("yours:   ", yours)')
    return "\n".join(lines) + "\n"


def literal(value: Any) -> str:
    """Python source that builds `value` exactly: floats by their repr, arrays as np.array."""
    if isinstance(value, Ref):
        raise NotReproducible("the case passes a value kept in your process")
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return repr(value)
    if isinstance(value, int | np.integer):
        return repr(int(value))
    if isinstance(value, float | np.floating):
        return _float(float(value))
    if isinstance(value, np.ndarray):
        if value.size > LITERAL_ELEMENTS:
            raise NotReproducible(f"an input of {value.size} numbers is too large for a snippet")
        if value.dtype.kind == "f":
            body = _nested(value.tolist())
            return f"np.array({body}, dtype=np.{value.dtype.name})"
        if value.dtype.kind in "biu":
            return f"np.array({value.tolist()!r}, dtype=np.{value.dtype.name})"
        raise NotReproducible(f"an array of {value.dtype} cannot be written as a literal")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple):
        items = ", ".join(literal(v) for v in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    raise NotReproducible(f"an input of type {type(value).__name__} cannot be written out")


def _nested(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_nested(v) for v in value) + "]"
    return _float(float(value))


def _float(x: float) -> str:
    """The exact float: repr round-trips; NaN and the infinities are spelled for Python."""
    if math.isnan(x):
        return "float('nan')"
    if math.isinf(x):
        return "float('inf')" if x > 0 else "float('-inf')"
    return repr(x)
