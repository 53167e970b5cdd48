"""The oracle the checks judge against: the reference solution, or the answers recorded from it.

A course has `solutions/`; a release (`bpgrade release`) has none, and carries `expected/`
instead: the reference's answers on the public cases, recorded when the release was written
(`grader.recorded`). The checks cannot tell the two apart, except that a release answers only
the calls it recorded. Solutions are trusted code, loaded into the grader's own process.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path
from types import ModuleType

from pydantic import ValidationError

import grader
from grader.catalog import ExerciseEntry
from grader.course import is_release
from grader.recorded import (
    PUBLIC_ONLY,
    StubReport,
    Unanswerable,
    file_digest,
    load_replay,
)
from grader.report import ExerciseReport

EXPECTED = "expected"  # the release's folder of recorded answers, beside exercises/


class MissingReference(Unanswerable):
    """Neither a reference solution nor recorded answers for an exercise."""


class PublicOnly(Unanswerable):
    """A release was asked for cases it has no recorded answers for."""


@cache
def load_reference(path: Path) -> ModuleType:
    """Import a solution file under a private name, so it can never meet a learner's module."""
    spec = importlib.util.spec_from_file_location(f"_bpgrade_reference_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the reference solution {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def expected_dir(solutions: Path) -> Path:
    """Where a release keeps its recorded answers: beside where the solutions would be."""
    return solutions.parent / EXPECTED


def expected_path(entry: ExerciseEntry, solutions: Path) -> Path:
    return expected_dir(solutions) / f"{entry.name}.json"


def stub_report_path(entry: ExerciseEntry, solutions: Path) -> Path:
    """Beside the untouched stubs a release keeps: `expected/stubs/exercise03.json`."""
    return expected_dir(solutions) / "stubs" / f"{entry.name}.json"


def entry_digest(entry: ExerciseEntry) -> str:
    """The catalog entry's identity, as data: keys sorted, whatever pydantic's order."""
    return file_digest(json.dumps(entry.model_dump(mode="json"), sort_keys=True).encode())


def answers_digest(answers: bytes) -> str:
    """The recorded answers' identity, line endings aside (a checkout may turn them to CRLF)."""
    return file_digest(answers.replace(b"\r\n", b"\n"))


def stub_report(
    entry: ExerciseEntry, solutions: Path, seed: int, report: ExerciseReport
) -> StubReport:
    """What a release writes down of its untouched stub's `report`."""
    return StubReport(
        grader_version=grader.__version__,
        seed=seed,
        entry=entry_digest(entry),
        answers=answers_digest(expected_path(entry, solutions).read_bytes()),
        report=report,
    )


def stands_for(report: ExerciseReport, entry: ExerciseEntry) -> bool:
    """A report an untouched stub can get: `entry`'s, not started, no points, no error. An
    untouched stub scores nothing, so no file can make this shortcut give points."""
    return (
        (report.name, report.file, report.max_score) == (entry.name, entry.file, entry.max_score)
        and report.status == "not_started"
        and report.score == 0
        and not any(check.score for check in report.checks)
        and report.error is None
    )


def recorded_stub_report(
    entry: ExerciseEntry, solutions: Path, seed: int
) -> ExerciseReport | None:
    """The report a release recorded for `entry`'s untouched stub, where it stands for this
    grader, seed, catalog entry and recorded answers; None where it does not, where there is
    none, or where the course has the reference solution (its specs judge). The stub is then
    judged, which gives the same report."""
    if (solutions / entry.file).is_file():
        return None
    try:
        kept = StubReport.model_validate_json(stub_report_path(entry, solutions).read_bytes())
        answers = expected_path(entry, solutions).read_bytes()
    except (OSError, ValidationError):
        return None
    if (
        kept.grader_version != grader.__version__
        or kept.seed != seed
        or kept.entry != entry_digest(entry)
        or kept.answers != answers_digest(answers)
        or not stands_for(kept.report, entry)
    ):
        return None
    return kept.report


def reference_for(entry: ExerciseEntry, solutions: Path) -> ModuleType:
    """The oracle an exercise is judged against: its reference solution when the course has it,
    else the answers a release recorded from it; MissingReference when there is neither."""
    path = solutions / entry.file
    if path.is_file():
        return load_reference(path)
    recorded = expected_path(entry, solutions)
    if not recorded.is_file():
        raise MissingReference(
            f"cannot grade {entry.name}: there is neither a reference solution ({path}) nor "
            f"recorded answers ({recorded})."
        )
    replay = load_replay(recorded)
    names = [check.name for check in entry.checks]
    if replay.checks != names:
        raise MissingReference(
            f"cannot grade {entry.name}: {recorded} was recorded for the checks "
            f"{', '.join(replay.checks)}, but the catalog names {', '.join(names)}; "
            "write the release again."
        )
    return replay


def require_answers(solutions: Path, seed: int, student: str | None = None) -> None:
    """PublicOnly, in a sentence, when a release is asked for another seed or for a student's
    hidden cases; nothing for a course with its solutions."""
    if not is_release(solutions.parent):
        return
    if student is not None:
        raise PublicOnly(
            f"{PUBLIC_ONLY}: it cannot grade a student's hidden cases; grade those with the "
            "full course."
        )
    files = sorted(expected_dir(solutions).glob("*.json"))
    # the replay, as grading it reads it: an exercise graded next is not parsed twice
    recorded = load_replay(files[0]).seed if files else seed
    if seed != recorded:
        raise PublicOnly(f"{PUBLIC_ONLY} (seed {recorded}): it cannot grade --seed {seed}.")
