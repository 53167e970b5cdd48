"""Grading in a worker process of the pool: its setup (the catalog, one sandbox for its
life) and one submission's report, with the exercises graded without running any of the
student's code."""

from __future__ import annotations

import gc
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from grader.batch.outcomes import score_row
from grader.catalog import ExerciseEntry, load_catalog
from grader.formats import markdown
from grader.layout import locate
from grader.report import Report
from grader.sandbox import Limits, Sandbox, protect
from grader.submission import grade_located

if TYPE_CHECKING:
    from grader.batch.plan import Submission


@dataclass(frozen=True)
class Config:
    catalog: Path
    solutions: Path
    seed: int
    hidden: bool
    limits: Limits
    # what learner code must not reach: a few classmates' folders, the gradebook, the reports
    private: tuple[Path, ...] = ()


@dataclass
class Grader:
    """A worker's grading state: the catalog and one sandbox."""

    config: Config
    entries: list[ExerciseEntry]
    sandbox: Sandbox
    settled: bool = False  # what the first submission imported and cached is frozen too

    def close(self) -> None:
        self.sandbox.close()


@dataclass(frozen=True)
class Graded:
    """What a worker sends back for one submission: its report, as JSON and as Markdown, the
    row the gradebook keeps of it (`score_row`), and the exercises graded without running
    any of the student's code, their file not found. The batch writes the texts as they
    are: it never parses or renders a whole report of a submission graded once."""

    report: str
    markdown: str
    row: Report
    missing: frozenset[str] = frozenset()


def setup(config: Config) -> Grader:
    entries = list(load_catalog(config.catalog).exercises)
    sandbox = Sandbox(config.limits)
    # as root: the course's answers locked away from learner code, and proved so
    protect(sandbox, config.solutions.parent, [], private=list(config.private))
    _settle()
    return Grader(config, entries, sandbox)


def _settle() -> None:
    """What the worker holds now (its imports, the catalog, the reference solutions, the
    public cases' answers) lives as long as it does: set aside from the collector, which
    otherwise walks all of it at each full collection, a tenth of a worker's time. Garbage
    made later, cycles included, is collected as before."""
    gc.collect()
    gc.freeze()


def grade(state: Grader, submission: Submission) -> Graded:
    """One submission's report, and which of its exercises had no file to run."""
    config = state.config
    # the files grade_located will not find (it does not say which), looked for here, in
    # the worker, so that the batch never reads a student's folder again after grading
    missing = locate(submission.folder, state.entries).missing
    report = grade_located(
        state.entries,
        submission.folder,
        config.solutions,
        config.seed,
        sandbox=state.sandbox,
        student=submission.student if config.hidden else None,
    ).graded
    report.student = submission.student
    # missing when graded too: reported with just why (one that appeared in between ran)
    not_run = {e.name for e in report.exercises if e.error and e.error == missing.get(e.name)}
    text = report.model_dump_json(indent=2)
    if not state.settled:  # the checks' modules are imported at the first submission
        state.settled = True
        _settle()
    return Graded(text, markdown.render(report), score_row(report), frozenset(not_run))
