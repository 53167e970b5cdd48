"""What one exercise's child did, read from what it sent back and told in sentences.

The child's result frames are read as plain data only (`wire.py`), and never trusted beyond
that: a call begun out of turn, a result for no call or a message larger than any answer makes
them garbled. Where the child was stopped part way (a time or memory limit, a crash, an exit),
the sentence says what stopped it, in which call and on which line of the learner's file.

Nothing here runs learner code: it reads what the zygote passed on once the child had ended.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.calls import Call, CallResult, Frame, LearnerError, NoResults
from grader.sandbox import wire
from grader.sandbox.limits import Limits, seconds_text, size_text
from grader.sandbox.stack import Spot, last_spot

MAX_FRAME = 4 << 20  # one call's answer; the largest real one (exercise05) is under 1 MiB
HIDDEN_STOP = "it stopped while running your hidden cases (what stopped it is shown with them)"


@dataclass
class Outcome:
    """What one exercise's child did: results for every call, or why there are none.

    When the child was stopped part way (a time or memory limit, a crash, an exit), the calls
    that had answered keep their results; each call that never answered has an "aborted"
    error, and `stopped` says in a sentence what stopped it, in which call, on which line."""

    results: list[CallResult] | NoResults
    output: str = ""
    stopped: str | None = None
    hidden_output: str = ""  # the end of `output`: what it printed once it had hidden calls


def read_outcome(
    path: Path,
    calls: list[Call],
    header: dict[str, Any],
    output: bytes,
    data: bytes,
    stack: bytes,
    hidden: int,
    limits: Limits,
) -> Outcome:
    """The outcome of running `calls` on the learner's file at `path`, from the zygote's
    answer: its `header`, the child's `output`, its result frames (`data`) and what it wrote
    on its stack pipe. The last `hidden` calls were the student's hidden cases."""
    text = output.decode("utf-8", errors="replace")
    if header["output_dropped"]:
        text += f"\n[... {size_text(header['output_dropped'])} more output dropped]\n"
    outcome = _interpret(path, calls, header, data, stack, hidden, limits)
    outcome.output = text
    sent_at = header.get("hidden_sent_at")
    if hidden and isinstance(sent_at, list) and len(output) >= int(sent_at[0]):
        printed = output[: int(sent_at[0])].decode("utf-8", errors="replace")
        outcome.hidden_output = text[len(printed) :]
    return outcome


def _interpret(
    path: Path,
    calls: list[Call],
    header: dict[str, Any],
    data: bytes,
    stack: bytes,
    hidden: int,
    limits: Limits,
) -> Outcome:
    sent_at = header.get("hidden_sent_at")
    public_bytes = int(sent_at[1]) if isinstance(sent_at, list) else None
    told = Told.read(data, len(calls), public_bytes)
    if told.failure is not None:
        return Outcome(told.failure)
    where = (
        f"in {calls[told.calling - 1].function}"
        if told.calling
        else f"while {path.name} was being imported"
    )
    if told.garbled:
        return Outcome(
            NoResults(f"the submission sent back something that is not plain data {where}")
        )
    if told.ended or len(told.results) == len(calls):  # all answered: nothing was lost
        return Outcome(told.results)
    if header.get("supervisor_failed"):
        return Outcome(NoResults(f"the sandbox failed while grading it {where}"))
    memory = told.memory is not None or header.get("memory_exceeded")
    kind, cause = _cause(header, memory, limits)
    inside = Path(header["folder"]) if header.get("folder") else path.parent.resolve()
    spot = _spot(kind, told, path.parent.resolve(), inside, stack)
    ending = ", before returning" if kind == "exit" else ""
    if told.calling == 0:  # it was still importing the file: nothing of it can be graded
        return Outcome(NoResults(f"{cause} {where}{spot}{ending}"))
    if told.running is None:  # stopped between two calls, in none of the learner's code
        sentence = f"{cause} before {calls[len(told.results)].function} was called"
    else:
        sentence = f"{cause} {where}{spot}{ending}"
    error = LearnerError("aborted", kind, sentence)
    unanswered = [CallResult(error=error) for _ in calls[len(told.results) :]]
    if hidden and len(told.results) >= len(calls) - hidden:
        # its hidden cases were in its hands: how it stopped (an exit status, a signal, a
        # line) could be chosen to tell of them, so that is told only with them
        sentence = HIDDEN_STOP
    return Outcome([*told.results, *unanswered], stopped=sentence)


def _spot(kind: str, told: Told, folder: Path, inside: Path, stack: bytes) -> str:
    """Where the learner's code was when it was stopped, as ` (file, line N: `code`)`, the
    code read from the grader's copy in `folder` (which the child saw as `inside`); ""
    when that cannot be told."""
    if kind == "memory":  # from the child's own traceback of the MemoryError
        frames = told.memory or ()
        if not frames or not frames[-1].line:
            return ""
        deepest = frames[-1]
        spot: Spot | None = Spot(told.running, deepest.file, deepest.line, deepest.function)
    elif kind in ("timeout", "cpu", "crash"):  # faulthandler wrote the stack as it stopped
        spot = last_spot(stack, inside)
    else:  # an exit or a flood writes no stack; one written earlier would point elsewhere
        spot = None
    if spot is None or spot.call != told.running:
        return ""  # written while another call ran: it would point at the wrong code
    if os.sep in spot.file or not (folder / spot.file).is_file():
        return ""  # not one of the submission's files: nothing to show
    return " " + spot.describe(folder)


def _cause(header: dict[str, Any], memory: Any, limits: Limits) -> tuple[str, str]:
    """What stopped the child: a kind (the type of an aborted call's error) and words."""
    if memory:
        return "memory", f"exceeded the {size_text(limits.memory)} memory limit"
    if header["timed_out"]:
        return "timeout", f"timed out after {seconds_text(limits.timeout)}"
    if header["results_overflow"]:
        return "overflow", "returned more data than any answer needs"
    number = header["signal"]
    if number == signal.SIGXCPU or (number == signal.SIGKILL and header["seconds"] >= limits.cpu):
        return "cpu", f"used more than {seconds_text(limits.cpu)} of CPU time"
    if number is not None:
        return "crash", f"crashed ({_signal_name(number)})"
    return "exit", f"the submission exited (status {header['exit']})"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def torch_missing(file: str) -> str:
    """The one sentence a torch exercise gets where torch is not installed."""
    from grader.bundles.source import TORCH_INDEX, TORCH_VERSION

    return (
        f"{file} runs with PyTorch, which is not installed here: install it with "
        f"`pip install torch=={TORCH_VERSION} --index-url {TORCH_INDEX}` and check again"
    )


@dataclass
class Told:
    """What a child's result frames said, as plain data: the results of the calls that
    answered, how many calls it began, where it ran out of memory, whether it reached the end;
    or that it could not be read."""

    results: list[CallResult] = field(default_factory=list)
    calling: int = 0  # calls begun
    memory: tuple[Frame, ...] | None = None  # the learner's frames where memory ran out
    ended: bool = False
    garbled: bool = False  # something that is not plain data as the child writes it
    failure: NoResults | None = None  # the file could not be loaded, or no sandbox set up

    @property
    def running(self) -> int | None:
        """The call that was running when the child stopped, if one was."""
        return len(self.results) if self.calling > len(self.results) else None

    @classmethod
    def read(cls, data: bytes, expected: int, public_bytes: int | None = None) -> Told:
        """`public_bytes`: how much had been sent when the hidden calls were handed over; a
        failure to load told after that was staged to carry them into view."""
        # loading, then calling and a result per call, then the end: nothing more is read
        frames, _ = wire.split_frames(data, limit=2 * expected + 3)
        told = cls()
        offset = 0
        try:
            for payload in frames:
                offset += wire.HEADER.size + len(payload)
                if len(payload) > MAX_FRAME:
                    raise wire.WireError("a message larger than any answer")
                kind, body = wire.loads(payload)
                hidden_phase = public_bytes is not None and offset > public_bytes
                if kind == "load_failure" and hidden_phase:
                    raise wire.WireError("a failure to load after the calls had begun")
                if kind == "load_failure" and isinstance(body, NoResults):
                    told.failure = body
                elif kind == "calling" and isinstance(body, str):
                    if told.calling > len(told.results) or told.calling >= expected:
                        raise wire.WireError("a call begun out of turn")
                    told.calling += 1
                elif kind == "result" and isinstance(body, CallResult):
                    if told.calling != len(told.results) + 1:
                        raise wire.WireError("a result for no call")
                    told.results.append(body)
                elif kind == "memory":
                    found = body if isinstance(body, tuple) else ()
                    told.memory = tuple(f for f in found if isinstance(f, Frame))
                elif kind == "sandbox_error":
                    told.failure = NoResults(f"the sandbox could not be set up: {body}")
                elif kind == "end" and len(told.results) == expected:
                    told.ended = True
                else:
                    continue
                if told.failure is not None or told.memory is not None or told.ended:
                    break
        except (wire.WireError, TypeError, ValueError):
            told.garbled = True
        return told
