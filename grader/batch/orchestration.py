"""The run: grade what a plan says in the worker pool, confirm a suspect grade alone, write
each report as it comes and the gradebook as it goes, and stop cleanly on Ctrl-C."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.batch import grading_worker, store
from grader.batch.discovery import Rejected
from grader.batch.outcomes import ALONE, score_row
from grader.batch.plan import BatchOptions, Plan, Submission, prepare
from grader.batch.pool import Broken, Failed, WorkerPool, cpu_count
from grader.batch.progress import BatchProgress, remaining_seconds
from grader.batch.store import Output
from grader.catalog import ExerciseEntry
from grader.formats import markdown
from grader.report import Report, not_a_grade


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped the batch. What was graded before is written (reports, gradebook) and
    is skipped when the same batch runs again: `saved` names those students (the skipped
    ones too), out of `total`; `result` is what this run had finished. The others are in the
    gradebook as not graded yet, and the same batch grades them, without `force` too."""

    def __init__(self, result: BatchResult, saved: list[str], total: int) -> None:
        super().__init__()
        self.result, self.saved, self.total = result, saved, total


@dataclass
class BatchResult:
    output: Output
    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # not graded: their report says why
    confirmed: list[str] = field(default_factory=list)  # graded again on their own
    rejected: list[Rejected] = field(default_factory=list)
    reports: dict[str, Report] = field(default_factory=dict)  # every student's, skipped too


def _report_of(outcome: Any, submission: Submission, entries: list[ExerciseEntry]) -> Report:
    if isinstance(outcome, Broken):
        return not_a_grade(
            entries,
            f"Not graded: the process grading this submission died each time it tried "
            f"({outcome.describe()}). Learner code can do that by signalling the grader's "
            "processes when the grader does not run as root.",
            submission.student,
            listed=True,
        )
    if isinstance(outcome, Failed):
        last = outcome.error.strip().splitlines()[-1]
        reason = f"Not graded: the grader failed on it ({last})."
        return not_a_grade(entries, reason, submission.student, listed=True)
    return Report.model_validate_json(outcome.report)


@dataclass(frozen=True)
class Finished:
    """One submission's report as it is written (JSON and Markdown), and the row of it that
    the run keeps (`score_row`)."""

    report: str
    markdown: str
    row: Report


def _finished(outcome: Any, submission: Submission, entries: list[ExerciseEntry]) -> Finished:
    if isinstance(outcome, grading_worker.Graded):
        return Finished(outcome.report, outcome.markdown, outcome.row)
    return _whole(_report_of(outcome, submission, entries))


def _whole(report: Report) -> Finished:
    return Finished(report.model_dump_json(indent=2), markdown.render(report), score_row(report))


def _not_run(outcome: Any) -> frozenset[str]:
    """The exercises the worker graded without running any of the student's code."""
    return outcome.missing if isinstance(outcome, grading_worker.Graded) else frozenset()


def _suspect(report: Report, not_run: Collection[str]) -> bool:
    """A grade that another submission graded at the same time could have caused: an
    exercise that could not be graded, or whose code was stopped part way (a timeout on a
    busy machine, a process killed by a neighbour). Not an exercise whose file is missing
    (`not_run`, as the worker found it): none of the student's code ran for it, so it
    scores the same alone, and grading it again only added a note about a confirmation it
    did not need."""
    return report.error is not None or any(
        (e.status == "error" or e.error is not None) and e.name not in not_run
        for e in report.exercises
    )


def run(plan: Plan, progress: Callable[[BatchProgress], None] | None = None) -> BatchResult:
    """Grade what the plan says, writing each report as it comes and the gradebook as it
    goes. `progress` hears of each submission finished, with an estimate of the time left.
    A Ctrl-C comes out as `Interrupted`, after what was graded is written.

    Until a student of `plan.todo` is graded, the gradebook has them as not graded yet, and
    their digest is gone: a run stopped before their new report grades them again, `force`
    or not, instead of skipping them on the report from before."""
    output, options = plan.output, plan.options
    store.make_folders(output)
    reports = {student: score_row(report) for student, report in plan.skipped.items()}
    result = BatchResult(output, skipped=sorted(plan.skipped), rejected=list(plan.rejected))
    result.reports = reports
    sheet = store.Sheet(plan)
    written = store.Reports(output)
    private = (*(s.folder for s in plan.todo[:3]), output.csv, output.reports)
    config = grading_worker.Config(
        plan.catalog, plan.solutions, options.seed, options.hidden, options.limits, private
    )
    jobs = min(options.jobs or cpu_count(), len(plan.todo))
    pools: list[WorkerPool[Submission]] = []
    finished = 0

    def eta() -> float | None:
        pool = pools[-1]
        durations = [d for p in pools for d in p.durations]
        running = pool.running()
        queued = len(plan.todo) - finished - len(running)
        return remaining_seconds(durations, max(0, queued), running, pool.jobs)

    def finish(submission: Submission, done: Finished) -> None:
        nonlocal finished
        written.add(submission.student, submission.key, done.report, done.markdown)
        saved(submission.student, done.row)
        sheet.write(reports)
        finished += 1
        if progress is not None:
            state = "error" if done.row.error is not None else "graded"
            progress(BatchProgress(submission.student, state, finished, len(plan.todo), eta()))

    def saved(student: str, report: Report) -> None:
        (result.errors if report.error is not None else result.graded).append(student)
        reports[student] = report

    suspects: list[Submission] = []
    outdated = False
    try:
        for student, report in plan.skipped.items():
            if not output.markdown(student).exists():  # graded before reports had one
                store.write(output.markdown(student), markdown.render(report))
        store.outdate(output, plan.todo)
        outdated = True
        sheet.write(reports, now=True)
        pools.append(
            WorkerPool(
                jobs, grading_worker.setup, grading_worker.grade, config, deadline=_deadline(plan)
            )
        )
        with contextlib.closing(pools[-1].run(plan.todo)) as finished_tasks:
            for submission, outcome in finished_tasks:
                graded = _finished(outcome, submission, plan.entries)
                if jobs > 1 and _suspect(graded.row, _not_run(outcome)):
                    suspects.append(submission)
                else:
                    finish(submission, graded)
        pools.append(
            WorkerPool(
                1, grading_worker.setup, grading_worker.grade, config, deadline=_deadline(plan)
            )
        )
        with contextlib.closing(pools[-1].run(suspects)) as finished_tasks:
            for submission, outcome in finished_tasks:
                report = _report_of(outcome, submission, plan.entries)
                report.notes.append(ALONE)
                result.confirmed.append(submission.student)
                finish(submission, _whole(report))
    except KeyboardInterrupt:
        written.flush()  # the reports of this run get their digests: saved, as a run again sees
        if not outdated:  # stopped before every digest was gone: none was graded yet
            store.outdate(output, plan.todo)
        for submission in plan.todo:
            # its digest written, the stop came before the rest: saved, as a run again sees
            stored = None
            if submission.student not in reports:
                stored = store.stored_report(output, submission.student, submission.key)
            if stored is not None:
                saved(submission.student, score_row(stored))
        done = [s.student for s in plan.todo if s.student in reports]
        total = len(plan.todo) + len(plan.skipped)
        raise Interrupted(_sorted(result), sorted([*plan.skipped, *done]), total) from None
    finally:
        written.flush()
        sheet.write(reports, now=True)  # interrupted too: the CSV has every report written
    return _sorted(result)


def _deadline(plan: Plan) -> float:
    """Far beyond what the sandbox allows a submission: only a stuck worker reaches it."""
    return len(plan.entries) * (plan.options.limits.timeout + 40.0) + 60.0


def _sorted(result: BatchResult) -> BatchResult:
    for names in (result.graded, result.errors, result.confirmed):
        names.sort()
    return result


def grade_batch(
    submissions: Path,
    csv_path: Path,
    options: BatchOptions | None = None,
    progress: Callable[[BatchProgress], None] | None = None,
) -> BatchResult:
    return run(prepare(submissions, csv_path, options), progress)
