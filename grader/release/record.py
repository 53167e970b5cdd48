"""Recording an exercise for a release: its checks frozen on the public cases (`grader.frozen`),
and the reference's answers to the calls the engine makes itself (`grader.recorded`).

Each check of the catalog is taped (each of its callables writes down what it returns, by
case) and driven over its public cases with a recording stand-in for the reference
(`Recorder`): it judges the reference's own results, which must pass, and wrong ones of the
same shapes, so that every judge takes its failing path (diagnoses, notes) and asks whatever
that path needs; an output's expected value, its mistakes' models and the mistakes any
function can make with its arguments are also asked for directly on every case. Numeric
gradients are recorded like any other callable: one array a case, never the reference's calls
on perturbed inputs, so a release compares with exactly the numbers the full grader does.

Before anything is written, each frozen check, read back from its JSON as a release reads it,
must plan the same calls and judge the reference's results and the wrong ones word for word as
the spec's check does with the reference itself.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

import grader
from grader.calls import Call, CallResult
from grader.catalog import ExerciseEntry
from grader.checks.base import Check, Evidence, OutputCheck, Verdict, argument_mistakes
from grader.drivers import driver_path
from grader.frozen import Tape, Unfreezable, freeze, tape, thaw
from grader.grading import DEFAULT_SEED, Planned, catalog_checks, plan
from grader.recorded import RecordedAnswers, Recorder, Replay, dump_answers
from grader.reference import load_reference
from grader.release.errors import ReleaseError
from grader.runner import run_exercise
from grader.sandbox.wire import encode_value


def _chosen_checks(entry: ExerciseEntry) -> list[Check]:
    try:
        return catalog_checks(entry)
    except LookupError as error:
        raise ReleaseError(f"{entry.name}: {error}") from None


def _evidence(planned: Planned, results: dict[str, CallResult], calls: list[Call]) -> Evidence:
    return Evidence(
        cases=planned.cases,
        calls=planned.calls,
        results=[[results[call.id] for call in case_calls] for case_calls in planned.calls],
        exercise_calls=calls,
        exercise_results=[results[call.id] for call in calls],
    )


def _wrong(value: Any) -> Any:
    """A wrong answer of the same shape: every number moved, so every judge takes its
    failing path (diagnoses, notes) and asks the reference whatever that path needs."""
    if isinstance(value, dict):
        return {key: _wrong(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        items = [_wrong(item) for item in value]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value) * 1.5 + 0.25
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        return value * 1.5 + 0.25
    return value


def _wrong_results(results: dict[str, CallResult]) -> dict[str, CallResult]:
    return {
        key: dataclasses.replace(result, value=_wrong(result.value))
        for key, result in results.items()
    }


def _same(a: Verdict, b: Verdict) -> bool:
    return (a.passed, a.message, a.diagnosis) == (b.passed, b.message, b.diagnosis)


def _ask(check: OutputCheck, recorder: Recorder, planned: Planned) -> None:
    """What an output check may ask on each case, asked directly: on a learner's wrong value
    the judge asks for every model of a mistake, the spec's and the generic ones."""
    for case in planned.cases:
        models = [m.model for m in (*check.mistakes, *argument_mistakes(check, case))]
        for question in (check.expected_value, *models):
            try:
                question(recorder, case)
            except Exception:  # a model the case cannot take: the judge skips it as well
                continue
        if check.baseline is not None:
            check.baseline(case)


def _drive(
    entry: ExerciseEntry,
    planned: Planned,
    recorder: Recorder,
    outcomes: tuple[dict[str, CallResult], dict[str, CallResult]],
    calls: list[Call],
) -> None:
    own, wrong = outcomes
    verdict = planned.check.judge(recorder, _evidence(planned, own, calls))
    if not verdict.passed:
        raise ReleaseError(
            f"{entry.name}: the reference solution fails its own check {planned.check.name}: "
            f"{verdict.message}"
        )
    planned.check.judge(recorder, _evidence(planned, wrong, calls))
    if isinstance(planned.check, OutputCheck):
        _ask(planned.check, recorder, planned)


def record_exercise(
    entry: ExerciseEntry, solutions: Path, seed: int = DEFAULT_SEED
) -> RecordedAnswers:
    """The checks of `entry` frozen on the public cases, with the reference's answers.

    The reference solution is trusted, so its calls run in this process."""
    path = solutions / entry.file
    if not path.is_file():
        raise ReleaseError(f"{entry.name}: there is no reference solution {path}")
    reference = load_reference(path)
    checks = _chosen_checks(entry)
    taped: list[tuple[Check, list[Tape]]] = []
    for check in checks:
        try:
            taped.append(tape(check, reference))
        except Unfreezable as error:
            raise ReleaseError(f"{entry.name}: cannot freeze {check.name}: {error}") from None
    planned = plan([check for check, _ in taped], seed)
    calls = [call for p in planned for case_calls in p.calls for call in case_calls]
    drivers = driver_path(entry.name, solutions.parent)
    ran = run_exercise(path, calls, drivers if drivers.is_file() else None)
    if not isinstance(ran, list):
        raise ReleaseError(f"{entry.name}: the reference solution does not load: {ran.reason}")
    own = {call.id: result for call, result in zip(calls, ran, strict=True)}
    wrong = _wrong_results(own)
    recorder = Recorder(reference)
    frozen = []
    for p in planned:
        try:
            _drive(entry, p, recorder, (own, wrong), calls)
            frozen.append(freeze(p.check, p.cases, p.calls))
        except Unfreezable as error:
            raise ReleaseError(f"{entry.name}: cannot freeze {p.check.name}: {error}") from None
    answers = RecordedAnswers(
        grader_version=grader.__version__,
        numpy_version=np.__version__,
        exercise=entry.name,
        file=entry.file,
        seed=seed,
        checks=frozen,
        calls=recorder.calls,
    )
    originals = [
        dataclasses.replace(p, check=check) for p, check in zip(planned, checks, strict=True)
    ]
    _verify(entry, answers, reference, originals, [own, wrong], calls, seed)
    return answers


def _planned_data(planned: Planned) -> Any:
    cases = [(c.label, encode_value(c.inputs), c.numeric) for c in planned.cases]
    return cases, encode_value(planned.calls)


def _verify(
    entry: ExerciseEntry,
    answers: RecordedAnswers,
    reference: Any,
    planned: list[Planned],
    outcomes: list[dict[str, CallResult]],
    calls: list[Call],
    seed: int,
) -> None:
    """The frozen checks, read back as a release reads them, plan the same calls and judge as
    the spec's checks do with the reference, on right and on wrong results."""
    again = RecordedAnswers.model_validate_json(dump_answers(answers))
    replay = Replay(again)
    for p, frozen in zip(planned, again.checks, strict=True):
        thawed = thaw(frozen)
        (replanned,) = plan([thawed], seed)
        if _planned_data(replanned) != _planned_data(p):
            raise ReleaseError(f"{entry.name}: the frozen {p.check.name} plans other calls")
        for results in outcomes:
            evidence = _evidence(p, results, calls)
            real = p.check.judge(reference, copy.deepcopy(evidence))
            recorded = thawed.judge(replay, copy.deepcopy(_evidence(replanned, results, calls)))
            if not _same(real, recorded):
                raise ReleaseError(
                    f"{entry.name}: the frozen {p.check.name} judges differently from the "
                    f"spec's ({recorded.message!r} instead of {real.message!r}); it asks "
                    "something the recording does not cover."
                )
