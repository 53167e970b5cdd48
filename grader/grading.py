"""Grading one exercise: plan the calls, run them in the learner's code, judge, score.

Data flows one way: catalog -> checks plan calls -> sandbox (runner) -> plain results ->
judge -> report. The learner's code runs only in the sandbox's child processes; planning,
the reference and every comparison stay here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import math
import signal
import threading
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, ModuleType

import numpy as np

from grader.calls import Call, CallResult, LearnerError, NoResults, Ref, capped
from grader.catalog import CheckEntry, ExerciseEntry
from grader.checks.base import Case, Check, Evidence, OutputCheck, Verdict, not_started
from grader.checks.consequences import SOURCE_READ, learner_calls, traced
from grader.frozen import checks_of
from grader.recorded import Unanswerable
from grader.reference import recorded_stub_report, reference_for
from grader.report import CheckReport, ExerciseReport, Report, Status, Visibility, summarize
from grader.resumed import run_resuming
from grader.sandbox import Outcome, Sandbox

DEFAULT_SEED = 0
# a student's own cases are shown once the deadline has passed (Gradescope's term)
HIDDEN_VISIBILITY: Visibility = "after_due_date"
HIDDEN = ":hidden"  # suffix of the id of a call or a check on the student's hidden cases
# Seconds to judge one exercise, the reference's own runs included. Judging the reference
# solutions takes well under a tenth of a second an exercise; anything near this is a judge
# stuck on what came back, and a platform waits for its results file meanwhile.
JUDGE_BUDGET = 30.0


def student_seed(student: str) -> int:
    """The seed of a student's hidden cases: the same id always draws the same cases."""
    return int.from_bytes(hashlib.sha256(student.encode()).digest()[:8], "big")


@dataclass
class Planned:
    check: Check
    cases: list[Case]
    calls: list[list[Call]]


def plan(
    checks: list[Check], seed: int, suffix: str = "", exercise: str | None = None
) -> list[Planned]:
    """Every check's cases and calls; each check draws from its own generator, so adding a
    check never changes another's inputs.

    With the `exercise` named, each public case is named by where it was drawn, so that the
    reference's answers on it are computed once per process (grader.checks.recall); a hidden
    round's cases (`suffix` HIDDEN) are marked as never coming back."""
    planned = []
    for check in checks:
        rng = np.random.default_rng([seed, zlib.crc32(check.name.encode())])
        cases = check.cases(rng)
        calls = [check.calls_for(case, f"{check.name}{suffix}#{i}") for i, case in enumerate(cases)]
        for number, case in enumerate(cases):
            if suffix == HIDDEN:
                case.recurs = False
            elif exercise is not None:
                case.known_as = f"{exercise}:{seed}:{case_name(check.name, number)}"
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


def _printed_by(planned: Planned, results: dict[str, CallResult]) -> str:
    """What the learner's code printed in the calls of one check, capped as a call's is."""
    text = "".join(results[call.id].output for calls in planned.calls for call in calls)
    return capped(text)


def _check_report(
    entry: CheckEntry,
    verdict: Verdict,
    points: float,
    hidden: bool,
    case: str | None = None,
    output: str = "",
) -> CheckReport:
    return CheckReport(
        name=entry.name + (HIDDEN if hidden else ""),
        title=entry.title + (" (your hidden cases)" if hidden else ""),
        passed=verdict.passed,
        score=points if verdict.passed else 0.0,
        max_score=points,
        message=verdict.message,
        diagnosis=verdict.diagnosis,
        data=verdict.data,
        hidden=hidden,
        visibility=HIDDEN_VISIBILITY if hidden else "visible",
        case=case,
        output=output,
    )


def case_name(check: str, number: int) -> str:
    """How a learner names one case of a check: `linear_backward.dW#1` (`bpgrade check
    --case`), the id of its call."""
    return f"{check}#{number}"


def reproduce_command(exercise: str, case: str, seed: int) -> str:
    """The command that reproduces a failing case as a Python snippet (grader.repro)."""
    drawn = f" --seed {seed}" if seed != DEFAULT_SEED else ""
    return f"bpgrade check {exercise} --case {case}{drawn}"


def reproducible(check: Check) -> bool:
    """Whether a case of the check is one call of the learner's function, which a snippet can
    make (not a class or callbacks driven, not every call of the exercise)."""
    return isinstance(check, OutputCheck) and check.driver is None


def _reproducible(
    exercise: str, check: Check, verdict: Verdict, seed: int
) -> tuple[Verdict, str | None]:
    """A failing verdict on a public case, with its case named, and the command that shows it
    as a snippet on its message's last line; any other verdict as it is."""
    if verdict.passed or verdict.not_started or verdict.case is None or not reproducible(check):
        return verdict, None
    case = case_name(check.name, verdict.case)
    command = reproduce_command(exercise, case, seed)
    message = f"{verdict.message}\n  Reproduce it: {command}"
    return dataclasses.replace(verdict, message=message), case


def catalog_checks(entry: ExerciseEntry, solutions: Path | None = None) -> list[Check]:
    """The grader's checks of the catalog's `entry`, in the catalog's order; a LookupError
    names those the catalog lists and the grader does not have. Graded against `solutions`
    that a release left out, they are the checks it recorded (`grader.frozen`)."""
    checks = {check.name: check for check in checks_of(entry, solutions)}
    unknown = [c.name for c in entry.checks if c.name not in checks]
    if unknown:
        raise LookupError(
            f"the catalog names checks the grader does not have: {', '.join(unknown)}"
        )
    return [checks[c.name] for c in entry.checks]


@dataclass
class ExercisePlan:
    """One exercise's checks with their cases and calls, public and (with a student) hidden."""

    entry: ExerciseEntry
    rounds: list[tuple[list[Planned], bool]]  # (planned checks, hidden?)
    seed: int = DEFAULT_SEED  # of the public cases

    @property
    def calls(self) -> list[Call]:
        """Every call, the public rounds' first: the sandbox hands the hidden ones over last."""
        return [c for planned, _ in self.rounds for p in planned for cs in p.calls for c in cs]

    @property
    def hidden_calls(self) -> int:
        """How many of `calls`, at their end, are on the student's hidden cases."""
        rounds = [planned for planned, hidden in self.rounds if hidden]
        return sum(len(cs) for planned in rounds for p in planned for cs in p.calls)


def plan_exercise(
    entry: ExerciseEntry, seed: int, student: str | None = None, solutions: Path | None = None
) -> ExercisePlan:
    """With a student id, each check also runs on that student's own hidden cases, and its
    points are split evenly between the public and the hidden cases."""
    chosen = catalog_checks(entry, solutions)
    rounds = [(plan(chosen, seed, exercise=entry.name), False)]
    if student is not None:
        rounds.append((plan(chosen, student_seed(student), HIDDEN), True))
    return ExercisePlan(entry, rounds, seed)


class _OutOfTime(BaseException):
    """Judging an exercise ran past JUDGE_BUDGET. A BaseException, so that no `except
    Exception` on the way (a check trying a model of a mistake) takes it for a failed model."""


@contextmanager
def _budget(seconds: float) -> Iterator[float]:
    """The deadline (time.monotonic()) of one exercise's judging.

    In the main thread an alarm raises _OutOfTime when it passes, wherever judging is then;
    in another thread, or where an alarm is already set (someone else's), no signal can be
    used, and `_judge` looks at the deadline before each check instead."""
    deadline = time.monotonic() + seconds
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
        or signal.getitimer(signal.ITIMER_REAL)[0] > 0
    ):
        yield deadline
        return

    def expire(number: int, frame: FrameType | None) -> None:
        raise _OutOfTime

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield deadline
    finally:
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:  # even when the alarm went off on the way here
            signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)


def judge_exercise(
    exercise: ExercisePlan,
    outcome: Outcome,
    solutions: Path,
    source: str | None = None,
    *,
    reference: ModuleType | None = None,
) -> ExerciseReport:
    """Score what the learner's code answered against the reference, check by check.
    `source`, the text of the learner's file, says which of their functions calls which
    (grader.checks.consequences), where given. `reference`: the oracle, where not the
    course's own for the exercise (`reference_for`).

    A bug in a check costs that exercise, with a sentence that says so, never the others;
    so does judging that takes longer than JUDGE_BUDGET. A stop (Ctrl-C, SIGTERM, which the
    command turns into a BaseException too) is no judging error: it goes through."""
    hidden = len(exercise.rounds) > 1
    try:
        with _budget(JUDGE_BUDGET) as deadline:
            return _judge(exercise, outcome, solutions, deadline, source, reference)
    except _OutOfTime:
        failure = NoResults(
            f"the grader gave up judging it after {JUDGE_BUDGET:g} seconds (an answer takes "
            "well under one), so it scores 0; if you think your code is right, please tell "
            "your instructor"
        )
        return _without_results(exercise.entry, failure, outcome.output, hidden)
    except Unanswerable:
        raise  # a release asked for what it has no answers for: the command says so
    except Exception as error:
        detail = f"{type(error).__name__}: {error}"
        failure = NoResults(
            f"the grader failed while judging it ({detail}); this is the grader's fault, "
            "not yours: please tell your instructor"
        )
        return _without_results(exercise.entry, failure, outcome.output, hidden)


def _judge(
    exercise: ExercisePlan,
    outcome: Outcome,
    solutions: Path,
    deadline: float = math.inf,
    source: str | None = None,
    reference: ModuleType | None = None,
) -> ExerciseReport:
    entry, all_calls = exercise.entry, exercise.calls
    if isinstance(outcome.results, NoResults):
        return _without_results(entry, outcome.results, outcome.output, len(exercise.rounds) > 1)
    results = {call.id: result for call, result in zip(all_calls, outcome.results, strict=True)}
    if reference is None:
        reference = reference_for(entry, solutions)
    share = 1.0 / len(exercise.rounds)
    calls = learner_calls(source)
    reports = []
    for planned, hidden in exercise.rounds:
        verdicts = []
        for p in planned:
            if time.monotonic() > deadline:  # where no alarm could be set
                raise _OutOfTime
            verdicts.append(p.check.judge(reference, _evidence(p, results, all_calls)))
        # a failure caused by another's says so, once every check is judged
        verdicts = traced([p.check for p in planned], verdicts, calls)
        for c, p, verdict in zip(entry.checks, planned, verdicts, strict=True):
            case = None
            if not hidden:  # a student's hidden cases stay hidden
                verdict, case = _reproducible(entry.name, p.check, verdict, exercise.seed)
            # a hidden case's prints stay with the exercise's output, which formats hold back
            printed = "" if hidden else _printed_by(p, results)
            reports.append(_check_report(c, verdict, c.points * share, hidden, case, printed))
    status: Status
    if outcome.stopped is not None:
        # stopped part way: what had answered is graded above, the rest failed with the reason
        status = "failed"
    elif not_started(outcome.results):
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
        error=_stopped(outcome.stopped),
        output=outcome.output,
    )


def _stopped(sentence: str | None) -> str | None:
    if sentence is None:
        return None
    return f"{sentence}; what had returned before is graded, the rest scores 0"


def _without_results(
    entry: ExerciseEntry, failure: NoResults, output: str = "", hidden: bool = False
) -> ExerciseReport:
    """Every check at 0, with the reason. With hidden cases the checks are listed twice, as
    when graded, so that formats hold back what was printed while hidden cases ran."""
    reason = failure.reason + "".join(
        f"\n  {f.file}, line {f.line}, in {f.function}" + (f"\n    {f.code}" if f.code else "")
        for f in failure.frames
    )
    verdict = Verdict(False, f"not graded: {failure.reason}")
    share = 0.5 if hidden else 1.0
    checks = [
        _check_report(c, verdict, c.points * share, is_hidden)
        for is_hidden in ((False, True) if hidden else (False,))
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
        syntax_error=failure.syntax_error,
        output=output,
    )


def not_graded(entry: ExerciseEntry, reason: str, hidden: bool = False) -> ExerciseReport:
    """An exercise whose file never ran (it was not found): every check at 0, and why."""
    return _without_results(entry, NoResults(reason), hidden=hidden)


def _start_torch(entries: list[ExerciseEntry], sandbox: Sandbox) -> None:
    """A torch exercise needs torch twice, seconds each: imported and warmed in its zygote,
    and here, where the judge drives the reference. Both start now, so that they overlap each
    other and the exercises before it, rather than wait for its turn; here torch's first uses
    too (its first optimizer alone imports torch._dynamo), which the judge would otherwise
    meet with the first case, after the children are done."""
    global _torch_warming
    started = any(e.runtime == "torch" for e in entries) and sandbox.start_early("torch")
    if started and not _torch_warming:  # once a process: a batch worker grades many
        _torch_warming = True
        threading.Thread(target=_warm_torch, name="bpgrade-torch-warmup").start()


_torch_warming = False


def _warm_torch() -> None:
    from grader.torch_warmup import first_uses

    with suppress(Exception):  # a torch that fails here fails again where it is used
        first_uses()


def unrun_stub(plan: ExercisePlan) -> Outcome:
    """What the course's untouched stub answers, known without running it: every call raises
    NotImplementedError, except that a call needing an earlier call's output is skipped, as
    the runner skips it (none returned one). A torch exercise's stub is graded so, without
    the seconds of a torch import in a zygote and in the judge, both for "not started"."""
    results = []
    for call in plan.calls:
        needs = [a for a in (*call.args, *call.kwargs.values()) if isinstance(a, Ref)]
        if needs:
            error = LearnerError("skipped", "", "an earlier call it needs failed")
        else:
            error = LearnerError("not_implemented", "NotImplementedError", "")
        results.append(CallResult(error=error))
    return Outcome(results)


# the oracle of an untouched stub's checks, which judge "not started" before any comparison
_NO_REFERENCE = ModuleType("no reference: the stub was not run")


def judge_untouched_stub(
    entry: ExerciseEntry,
    seed: int,
    solutions: Path,
    source: str | None,
    student: str | None = None,
) -> ExerciseReport:
    """The report of the course's untouched stub for `entry`, judged without running it."""
    plan = plan_exercise(entry, seed, student, solutions)
    return _judged(plan, unrun_stub(plan), solutions, source, stub=True)


def _untouched_stub(
    entry: ExerciseEntry, seed: int, solutions: Path, source: str | None, student: str | None
) -> ExerciseReport:
    """As a release recorded it when it can stand for this grading, else judged now."""
    if student is None:
        known = recorded_stub_report(entry, solutions, seed)
        if known is not None:
            return known
    return judge_untouched_stub(entry, seed, solutions, source, student)


def _judged(
    plan: ExercisePlan, outcome: Outcome, solutions: Path, source: str | None, stub: bool
) -> ExerciseReport:
    if stub:
        return judge_exercise(plan, outcome, solutions, source, reference=_NO_REFERENCE)
    with _one_torch_thread(plan.entry):
        return judge_exercise(plan, outcome, solutions, source)


def read_source(path: Path) -> str | None:
    """The learner's file as text (read, never run), for who calls whom; None where it is no
    regular file (the copy holds only those) or cannot be read."""
    if path.is_symlink() or not path.is_file():
        return None
    try:
        with path.open(encoding="utf-8", errors="replace") as file:
            return file.read(SOURCE_READ + 1)
    except OSError:
        return None


@contextmanager
def _one_torch_thread(entry: ExerciseEntry) -> Iterator[None]:
    """A torch exercise is judged on one thread: its tensors are tiny, and torch's pool of
    threads, spinning against the sandbox's children on a busy machine, made judging several
    times slower (exercise09's reference: 2.1 s a grading with the pool, 0.26 s without).
    The caller's setting comes back after, as a notebook's kernel trains with its own."""
    if entry.runtime != "torch":
        yield
        return
    try:
        torch = importlib.import_module("torch")
    except ImportError:  # the report says how to install it
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _in_turn(entries: list[ExerciseEntry], stubs: frozenset[str]) -> list[ExerciseEntry]:
    """The order the exercises are planned and run in: a torch exercise's after the NumPy
    ones, which need not wait behind its zygote's seconds of importing torch; the untouched
    stubs last, planned while the children of the others run."""
    return sorted(entries, key=lambda e: (e.name in stubs, e.runtime == "torch"))


def _run_and_judge(
    entries: list[ExerciseEntry],
    folder: Path,
    solutions: Path,
    seed: int,
    sandbox: Sandbox,
    student: str | None,
    stubs: frozenset[str] = frozenset(),
) -> list[ExerciseReport]:
    """One thread waits on the sandbox, exercise after exercise, while this one plans the
    next and judges the answers already back: a child runs while the grader works. `stubs`:
    the exercises whose file is the course's untouched stub, graded without running it
    (`unrun_stub`)."""
    _start_torch([entry for entry in entries if entry.name not in stubs], sandbox)  # seconds
    ordered = _in_turn(entries, stubs)
    workspace = sandbox.workspace(folder)
    # read before any learner code runs, while the copy is what was handed in
    sources = [read_source(workspace / entry.file) for entry in ordered]
    waiter = ThreadPoolExecutor(max_workers=1)
    try:
        judged: dict[str, ExerciseReport] = {}
        running: list[tuple[ExercisePlan, Future[Outcome], str | None]] = []
        for entry, source in zip(ordered, sources, strict=True):
            if entry.name in stubs:  # last, while the children of the others run
                judged[entry.name] = _untouched_stub(entry, seed, solutions, source, student)
                continue
            p = plan_exercise(entry, seed, student, solutions)
            file = workspace / entry.file
            run = waiter.submit(run_resuming, sandbox, file, p.calls, p.hidden_calls, entry, source)
            running.append((p, run, source))
        for p, run, source in running:
            judged[p.entry.name] = _judged(p, run.result(), solutions, source, stub=False)
        return [judged[entry.name] for entry in entries]
    except Exception:  # (planning an exercise, say): no queued exercise starts after it
        waiter.shutdown(wait=False, cancel_futures=True)
        sandbox.stop()
        raise
    except BaseException:  # stopped (Ctrl-C, SIGTERM): the learner's code stops now, not later
        waiter.shutdown(wait=False, cancel_futures=True)
        sandbox.halt()
        raise
    finally:
        waiter.shutdown(wait=True, cancel_futures=True)
        sandbox.discard(workspace)


def grade(
    entries: list[ExerciseEntry],
    folder: Path,
    solutions: Path,
    seed: int = DEFAULT_SEED,
    *,
    sandbox: Sandbox | None = None,
    student: str | None = None,
    stubs: frozenset[str] = frozenset(),
) -> Report:
    """Grade the exercise files in `folder`, each in its own sandboxed child process; those
    named in `stubs`, the course's untouched stubs, without running them (`unrun_stub`).

    A sandbox passed in is reused (batch grading keeps one per worker); otherwise one is made
    for this call and closed at its end."""
    own = sandbox is None
    sandbox = sandbox if sandbox is not None else Sandbox()
    try:
        exercises = _run_and_judge(entries, folder, solutions, seed, sandbox, student, stubs)
    finally:
        if own:
            sandbox.close()
    report = summarize(exercises)
    report.student = student
    report.notes = list(sandbox.notes)
    return report
