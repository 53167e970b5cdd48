"""A bounded judge: whatever the learner's code returns, judging ends soon, costs what it shows,
and a platform always gets a valid results file; a stop (SIGTERM, Ctrl-C) stops the grader, it is
never taken for a judging error.

The attack that started it: `np.zeros((10**12, 0))` has no element, passes every size check, and a
printer that drew one line per row looped a trillion times in the root grader.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import numpy as np
import pytest

from grader import grading
from grader.calls import CallResult
from grader.catalog import Catalog, ExerciseEntry
from grader.checks.base import OutputCheck, Verdict
from grader.cli import Stopped
from grader.grading import DEFAULT_SEED, judge_exercise, plan_exercise
from grader.judge.compare import mismatch
from grader.judge.feedback import describe_mismatch, describe_value, side_by_side
from grader.runner import NotPlain, to_plain
from grader.sandbox import Outcome, wire

from .conftest import SOLUTIONS

SCHEMA = json.loads(
    (Path(__file__).resolve().parent / "schemas" / "gradescope.schema.json").read_text()
)
SIGMOID_RETURN = "    return np.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))"
GS = ("--format", "gradescope")
LONG = ("--timeout", "300")
BOUND = 60.0  # seconds for a whole `bpgrade check` of one exercise; each takes about one


def _bpgrade() -> list[str]:
    installed = Path(sys.executable).parent / "bpgrade"
    return [str(installed)] if installed.is_file() else [sys.executable, "-m", "grader"]


def _environment(output: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "BPGRADE_COURSE")}
    env["BPGRADE_OUTPUT"] = str(output)
    return env


def _sigmoid_returning(folder: Path, expression: str) -> Path:
    """The reference exercise02 whose sigmoid returns `expression` instead of its answer."""
    source = (SOLUTIONS / "exercise02_activations.py").read_text()
    assert SIGMOID_RETURN in source
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "exercise02_activations.py").write_text(
        source.replace(SIGMOID_RETURN, f"    return {expression}", 1)
    )
    return folder


def _results(path: Path) -> dict[str, Any]:
    """The results file, valid against Gradescope's documented schema."""
    results = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(SCHEMA).validate(results)
    return results


@contextmanager
def _within(seconds: float) -> Iterator[None]:
    """Fail, rather than hang, when what runs here (Python code: a loop per row) takes longer."""

    def late(number: int, frame: FrameType | None) -> None:
        raise AssertionError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, late)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _exercise02(catalog: Catalog) -> ExerciseEntry:
    entry = catalog.find("2")
    assert entry is not None
    return entry


# ----------------------------------------------------- degenerate returns, through the real CLI

DEGENERATE = {
    "no element, a trillion rows": (
        "np.zeros((10**12, 0))",
        "returned an array of shape (1000000000000, 0): larger than any answer",
    ),
    "rank 40": ("np.zeros((1,) * 40)", "returned an array with 40 dimensions"),
    "(0,)*8 and 2**40": ("np.zeros((0,) * 8 + (2**40,))", "returned an array with 9 dimensions"),
    "rank 8, a dimension of 2**40": (
        "np.zeros((0,) * 7 + (2**40,))",
        "returned an array of shape (0, 0, 0, 0, 0, 0, 0, 1099511627776): larger than any answer",
    ),
    "10**8 elements in no memory": (
        "np.broadcast_to(0.0, (10**8,))",
        "returned an array of shape (100000000,): larger than any answer",
    ),
    "10**7 elements": (
        "np.zeros(10**7)",
        "returned an array of shape (10000000,): larger than any answer",
    ),
    "an empty object array of a trillion rows": (
        "np.empty((10**12, 0), dtype=object)",
        "returned an array of shape (1000000000000, 0): larger than any answer",
    ),
    "an object array": ("np.full(3, None, dtype=object)", "returned an array of dtype object"),
}

# answers that hold their elements: kept for later calls (and multiplied by sigmoid_backward,
# which calls sigmoid), they run the child out of memory or time, as the learner's own doing
HEAVY = {"10**8 elements in no memory", "10**7 elements"}


@pytest.mark.parametrize("attack", DEGENERATE, ids=list(DEGENERATE))
def test_a_degenerate_return_scores_0_on_its_check_with_a_sentence(
    attack: str, tmp_path: Path
) -> None:
    expression, sentence = DEGENERATE[attack]
    folder = _sigmoid_returning(tmp_path / "submission", expression)
    output = tmp_path / "results" / "results.json"
    output.parent.mkdir()
    started = time.monotonic()
    done = subprocess.run(
        [*_bpgrade(), "check", "2", "--dir", str(folder), *GS, "--timeout", "5"],
        cwd=tmp_path,
        env=_environment(output),
        capture_output=True,
        text=True,
        timeout=BOUND,
    )
    assert time.monotonic() - started < BOUND
    assert done.returncode == 1, done.stderr
    results = _results(output)
    sigmoid = next(t for t in results["tests"] if t["name"].startswith("exercise02 sigmoid:"))
    assert sigmoid["score"] == 0.0
    assert sigmoid["output"].startswith("sigmoid(Z (")
    assert sentence in sigmoid["output"]
    if attack not in HEAVY:
        # the rest of the exercise is graded as usual: relu has nothing to do with it
        relu = next(t for t in results["tests"] if t["name"].startswith("exercise02 relu:"))
        assert relu["score"] == relu["max_score"] > 0


def test_a_memory_hungry_return_is_a_memory_error_with_a_valid_results_file(
    tmp_path: Path,
) -> None:
    """10**8 float64 each call, kept for later calls: past the 1 GiB limit on the second call.
    The first call's answer is refused for its size; whatever happens then, the file is there."""
    folder = _sigmoid_returning(tmp_path / "submission", "np.zeros(10**8)")
    output = tmp_path / "results.json"
    subprocess.run(
        [*_bpgrade(), "check", "2", "--dir", str(folder), *GS, "--timeout", "5"],
        cwd=tmp_path,
        env=_environment(output),
        capture_output=True,
        timeout=BOUND,
    )
    sigmoid = next(t for t in _results(output)["tests"] if "sigmoid:" in t["name"])
    assert sigmoid["score"] == 0.0
    assert "larger than any answer" in sigmoid["output"] or "memory" in sigmoid["output"]


# ----------------------------------------------------------------------- the caps, piece by piece


def test_to_plain_refuses_shapes_no_answer_has_before_copying() -> None:
    for value in (
        np.zeros((10**12, 0)),
        np.zeros((1,) * 9),
        np.broadcast_to(0.0, (1 << 20, 1 << 20)),  # each dimension at the cap, 2**40 in all
        np.empty((10**12, 0), dtype=object),
    ):
        started = time.monotonic()
        with pytest.raises(NotPlain, match="than any answer"):
            to_plain(value)
        assert time.monotonic() - started < 1.0
    assert to_plain(np.zeros((1 << 20,))).shape == (1 << 20,)  # at the caps: still an answer
    assert to_plain(np.zeros((1,) * 8)).shape == (1,) * 8


def test_a_subclass_cannot_hide_its_shape_from_to_plain() -> None:
    class Small(np.ndarray):
        @property  # type: ignore[misc]
        def shape(self) -> tuple[int, ...]:  # type: ignore[override]
            return (2,)

    with pytest.raises(NotPlain, match=r"\(1000000000000, 0\)"):
        to_plain(np.zeros((10**12, 0)).view(Small))


def test_the_wire_turns_an_oversized_answer_into_a_learner_error() -> None:
    """What a child that skipped to_plain (a patched runner) sends: the trusted side's decoder
    says what the runner would have said, for that call only."""
    for value, words in (
        (np.zeros((10**12, 0)), "returned an array of shape (1000000000000, 0)"),
        (np.zeros((1,) * 40), "returned an array with 40 dimensions"),
    ):
        started = time.monotonic()
        result = wire.loads(wire.dumps(CallResult(value=value)))
        assert time.monotonic() - started < 1.0
        assert isinstance(result, CallResult) and result.value is None
        assert result.error is not None and result.error.kind == "bad_return"
        assert result.error.message.startswith(words)


def test_the_wire_refuses_oversized_arrays_anywhere_else() -> None:
    hand_written = {"$array": ["<f8", [10**4000, 0], ""]}  # a number of any length
    with pytest.raises(wire.TooLarge) as refused:
        wire.decode_value(hand_written)
    assert len(str(refused.value)) < 200
    long_shape = {"$array": ["<f8", ["not a number"] * 100_000, ""]}
    with pytest.raises(wire.TooLarge, match="100000 dimensions"):
        wire.decode_value(long_shape)
    arguments = CallResult(value=1.0, args_after=(np.zeros((10**12, 0)),))
    with pytest.raises(wire.WireError):  # the runner itself sends an Opaque there
        wire.loads(wire.dumps(arguments))


def test_the_wire_keeps_the_shape_of_what_it_carries() -> None:
    for value in (
        np.array(1.5, dtype=np.float32),  # a float32 scalar, judged as one
        np.arange(6.0).reshape(2, 3).T,
        np.zeros((3, 0)),
        np.zeros((1,) * 8),
    ):
        back = wire.loads(wire.dumps(value))
        assert back.shape == value.shape and back.dtype == value.dtype
        assert np.array_equal(back, value)


def test_feedback_costs_what_it_shows() -> None:
    expected = np.ones((4, 3))
    for received in (
        np.zeros((10**12, 0)),
        np.zeros((0,) * 31 + (2**40,)),
        np.zeros((1,) * 40),
        np.zeros((40, 0)),
        np.zeros(10**6),
    ):
        with _within(1.0):
            text = describe_mismatch("A", received, expected, None)
        assert len(text) < 500 and "expected shape (4, 3)" in text
        assert side_by_side(expected, received, None) == ""
    # a small empty answer still gets its table: it costs what it shows
    assert "[]" in describe_mismatch("A", np.zeros((0,)), expected, None)
    same = np.zeros((4, 3))
    assert "(* = wrong)" in describe_mismatch("A", same, expected, mismatch(same, expected))
    assert describe_value(tuple(range(10**5))) == "(0, 1, 2, 3, 4, 5, 6, 7, ... 99992 more)"
    # a string is shown quoted (a program, an activation's name), a long one clipped
    assert describe_value(("relu", "c = a * a")) == "('relu', 'c = a * a')"
    assert describe_value("x" * 10**6).endswith("... 999800 more characters")


@pytest.mark.parametrize(
    "value",
    [
        np.zeros((10**12, 0)),
        np.zeros((0,) * 31 + (2**40,)),
        np.zeros((1,) * 40),
        [[]] * 10_000,
        {str(i): 1.0 for i in range(1000)},
    ],
    ids=["trillion-rows", "rank-32", "rank-40", "empty-rows", "dict"],
)
def test_the_judge_is_bounded_even_on_what_the_wire_would_refuse(
    catalog: Catalog, value: Any
) -> None:
    """Defence in depth: values handed to the judge directly, past every cap."""
    exercise = plan_exercise(_exercise02(catalog), DEFAULT_SEED)
    outcome = Outcome([CallResult(value=value) for _ in exercise.calls])
    with _within(10.0):
        report = judge_exercise(exercise, outcome, SOLUTIONS)
    assert report.score == 0.0 and report.status == "failed"
    assert all(len(check.message) < 2000 for check in report.checks)


# ------------------------------------------------------------------------------ a time budget


def _sleepy(seconds: float) -> Any:
    def judge(self: OutputCheck, reference: Any, evidence: Any) -> Any:
        time.sleep(seconds)
        raise AssertionError("judging should have been given up by now")

    return judge


def test_judging_past_its_budget_scores_0_with_a_sentence(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(grading, "JUDGE_BUDGET", 0.5)
    monkeypatch.setattr(OutputCheck, "judge", _sleepy(60))
    exercise = plan_exercise(_exercise02(catalog), DEFAULT_SEED, "alice")
    outcome = Outcome([CallResult(value=0.0) for _ in exercise.calls])
    handler = signal.getsignal(signal.SIGALRM)
    started = time.monotonic()
    report = judge_exercise(exercise, outcome, SOLUTIONS)
    assert time.monotonic() - started < 5.0
    assert report.status == "error" and report.score == 0.0
    assert report.error is not None and "the grader gave up judging it after 0.5 seconds" in (
        report.error
    )
    assert all(c.message.startswith("not graded: the grader gave up") for c in report.checks)
    assert any(c.hidden for c in report.checks)  # listed twice, as when graded
    # the alarm is gone, and the handler is what it was
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) == handler


def test_outside_the_main_thread_the_budget_is_kept_check_by_check(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(grading, "JUDGE_BUDGET", 0.5)
    slept: list[float] = []

    def judge(self: OutputCheck, reference: Any, evidence: Any) -> Verdict:
        slept.append(0.3)
        time.sleep(0.3)
        return Verdict(True, "right, slowly")

    monkeypatch.setattr(OutputCheck, "judge", judge)
    exercise = plan_exercise(_exercise02(catalog), DEFAULT_SEED)
    outcome = Outcome([CallResult(value=0.0) for _ in exercise.calls])
    reports = []
    worker = threading.Thread(
        target=lambda: reports.append(judge_exercise(exercise, outcome, SOLUTIONS))
    )
    worker.start()
    worker.join(30)
    assert reports and reports[0].status == "error"
    assert reports[0].error is not None and "gave up judging it" in reports[0].error
    assert len(slept) <= 3  # no check begun past the deadline


@pytest.mark.parametrize("stop", [KeyboardInterrupt, SystemExit, Stopped], ids=str)
def test_a_stop_during_judging_is_never_a_judging_error(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch, stop: type[BaseException]
) -> None:
    def judge(self: OutputCheck, reference: Any, evidence: Any) -> Any:
        raise stop()

    monkeypatch.setattr(OutputCheck, "judge", judge)
    exercise = plan_exercise(_exercise02(catalog), DEFAULT_SEED)
    outcome = Outcome([CallResult(value=0.0) for _ in exercise.calls])
    with pytest.raises(stop):
        judge_exercise(exercise, outcome, SOLUTIONS)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


# ------------------------------------------------------------------------ a stop, from outside
# Decided: a stopped `bpgrade check --format ...` writes its results file (valid, score 0, the
# reason in words: the grader was stopped, no grade was given) and exits with status 1.


def _wait_for(process: subprocess.Popen[str], line: str, seconds: float) -> None:
    assert process.stdout is not None
    deadline = time.monotonic() + seconds
    seen = ""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.2)
        if ready:
            seen += process.stdout.readline()
            if line in seen:
                return
        if process.poll() is not None:
            break
    raise AssertionError(f"never saw {line!r}; got {seen!r}")


def _wait_for_a_child(pid: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
            except OSError:
                continue
            if f"\nPPid:\t{pid}\n" in text:
                return
        time.sleep(0.1)
    raise AssertionError(f"process {pid} started no child")


def _assert_stopped(process: subprocess.Popen[str], output: Path, how: str) -> None:
    started = time.monotonic()
    try:
        code = process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert time.monotonic() - started < 20
    assert code == 1
    results = _results(output)
    assert results["score"] == 0.0
    assert f"the grader was {how}" in results["output"]
    assert "no grade was given" in results["output"]
    assert "failed while judging" not in results["output"]


def test_sigterm_while_the_learner_code_sleeps_stops_and_writes_the_results(
    tmp_path: Path,
) -> None:
    folder = _sigmoid_returning(tmp_path / "submission", "__import__('time').sleep(600)")
    output = tmp_path / "results.json"
    process = subprocess.Popen(
        [*_bpgrade(), "check", "--all", "--dir", str(folder), *GS, *LONG],
        cwd=tmp_path,
        env=_environment(output),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for_a_child(process.pid, 60)  # the sandbox's process: the grader is under way
    time.sleep(2)  # exercise01 graded, exercise02's sigmoid asleep
    process.send_signal(signal.SIGTERM)
    _assert_stopped(process, output, "stopped (SIGTERM)")
    assert process.stderr is not None
    assert "stopped (SIGTERM)" in process.stderr.read()


JUDGING_FOREVER = textwrap.dedent(
    """
    import sys, time
    from grader.checks.base import OutputCheck

    def judge(self, reference, evidence):
        print("judging", flush=True)
        time.sleep(600)

    OutputCheck.judge = judge
    from grader.cli import main
    main(sys.argv[1:], prog_name="bpgrade")
    """
)


@pytest.mark.parametrize(
    ("number", "how"),
    [(signal.SIGTERM, "stopped (SIGTERM)"), (signal.SIGINT, "interrupted (Ctrl-C)")],
    ids=["SIGTERM", "SIGINT"],
)
def test_a_stop_while_judging_stops_grading_and_writes_the_results(
    tmp_path: Path, number: int, how: str
) -> None:
    """The attack's second half: the stop came while the grader judged, and was caught as an
    error of that exercise's judging; grading carried on."""
    output = tmp_path / "results.json"
    process = subprocess.Popen(
        [sys.executable, "-c", JUDGING_FOREVER, "check", "--all", "--dir", str(SOLUTIONS), *GS],
        cwd=tmp_path,
        env=_environment(output),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for(process, "judging", 60)
    process.send_signal(number)
    _assert_stopped(process, output, how)
