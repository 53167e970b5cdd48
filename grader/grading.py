"""Grading one exercise: plan the calls, run them in the learner's code, judge, score.

Data flows one way: catalog -> checks plan calls -> runner -> plain results -> judge -> report.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from grader.calls import Call, CallResult, LoadFailure
from grader.catalog import CheckEntry, ExerciseEntry
from grader.checks import checks_for
from grader.checks.base import Case, Check, Evidence, Verdict, not_started
from grader.reference import load_reference
from grader.report import CheckReport, ExerciseReport, Report, summarize
from grader.runner import run_exercise

DEFAULT_SEED = 0


@dataclass
class Planned:
    check: Check
    cases: list[Case]
    calls: list[list[Call]]


def plan(checks: list[Check], seed: int) -> list[Planned]:
    """Every check's cases and calls; each check draws from its own generator, so adding a
    check never changes another's inputs."""
    planned = []
    for check in checks:
        rng = np.random.default_rng([seed, zlib.crc32(check.name.encode())])
        cases = check.cases(rng)
        calls = [check.calls_for(case, f"{check.name}#{i}") for i, case in enumerate(cases)]
        planned.append(Planned(check, cases, calls))
    return planned


def _evidence(planned: Planned, results: dict[str, CallResult], all_calls: list[Call]) -> Evidence:
    return Evidence(
        cases=planned.cases,
        calls=planned.calls,
        results=[[results[call.id] for call in calls] for calls in planned.calls],
        exercise_calls=all_calls,
        exercise_results=[results[call.id] for call in all_calls],
    )


def _check_report(entry: CheckEntry, verdict: Verdict) -> CheckReport:
    return CheckReport(
        name=entry.name,
        title=entry.title,
        passed=verdict.passed,
        score=entry.points if verdict.passed else 0.0,
        max_score=entry.points,
        message=verdict.message,
        diagnosis=verdict.diagnosis,
    )


def _checks_by_name(entry: ExerciseEntry) -> dict[str, Check]:
    checks = {check.name: check for check in checks_for(entry.name)}
    unknown = [c.name for c in entry.checks if c.name not in checks]
    if unknown:
        raise LookupError(
            f"the catalog names checks the grader does not have: {', '.join(unknown)}"
        )
    return checks


def grade_exercise(
    entry: ExerciseEntry, folder: Path, solutions: Path, seed: int = DEFAULT_SEED
) -> ExerciseReport:
    checks = _checks_by_name(entry)
    planned = plan([checks[c.name] for c in entry.checks], seed)
    all_calls = [call for p in planned for calls in p.calls for call in calls]
    outcome = run_exercise(folder / entry.file, all_calls)
    if isinstance(outcome, LoadFailure):
        return _unloadable(entry, outcome)
    results = {call.id: result for call, result in zip(all_calls, outcome, strict=True)}
    reference = load_reference(solutions / entry.file)
    reports = [
        _check_report(c, p.check.judge(reference, _evidence(p, results, all_calls)))
        for c, p in zip(entry.checks, planned, strict=True)
    ]
    if not_started(outcome):
        status = "not_started"
    elif all(r.passed for r in reports):
        status = "passed"
    else:
        status = "failed"
    return ExerciseReport(
        name=entry.name,
        title=entry.title,
        file=entry.file,
        status=status,
        score=sum(r.score for r in reports),
        max_score=entry.max_score,
        checks=reports,
    )


def _unloadable(entry: ExerciseEntry, failure: LoadFailure) -> ExerciseReport:
    reason = failure.reason + "".join(
        f"\n  {f.file}, line {f.line}, in {f.function}" + (f"\n    {f.code}" if f.code else "")
        for f in failure.frames
    )
    checks = [
        CheckReport(
            name=c.name,
            title=c.title,
            passed=False,
            score=0.0,
            max_score=c.points,
            message=f"not graded: {failure.reason}",
        )
        for c in entry.checks
    ]
    return ExerciseReport(
        name=entry.name,
        title=entry.title,
        file=entry.file,
        status="error",
        score=0.0,
        max_score=entry.max_score,
        checks=checks,
        error=reason,
    )


def grade(
    entries: list[ExerciseEntry],
    folder: Path,
    solutions: Path,
    seed: int = DEFAULT_SEED,
) -> Report:
    return summarize([grade_exercise(entry, folder, solutions, seed) for entry in entries])
