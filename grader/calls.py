"""The plain data that crosses the line between the judge and the learner's code.

The judge plans `Call`s; the runner makes them in the learner's module and answers each
with a `CallResult` holding only plain data (numeric arrays, numbers, and tuples, lists
and dicts of those). Nothing here runs learner code or judges it, so the runner can move
into a separate, locked-down process without the checks changing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Part = int | str | None  # an index into a returned tuple, a key of a returned dict, or all of it


@dataclass(frozen=True)
class Ref:
    """The output of an earlier call, kept where the learner's code runs (a cache, say)."""

    call: str
    part: Part = None


@dataclass(frozen=True)
class Call:
    id: str
    function: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    keep: Part = None  # the part of the output that comes back; the rest stays with the learner
    # A grader-owned function of the exercise's drivers module (`grader.drivers`) to call in
    # the learner's process instead of `function` itself, as driver(module, *args, **kwargs):
    # it builds objects from plain arguments, drives them and returns plain data. `function`
    # still names what is under test (it must be defined in the learner's module).
    driver: str | None = None


@dataclass(frozen=True)
class Opaque:
    """Stands for a value that is not plain data (an argument the learner replaced, say)."""

    type: str


@dataclass(frozen=True)
class Frame:
    file: str
    line: int
    function: str
    code: str


# "aborted": the call never answered, because the sandbox stopped the learner's process (a time
# or memory limit, a crash, an exit) while it or an earlier call ran; the message says why
ErrorKind = Literal["not_implemented", "exception", "bad_return", "skipped", "aborted"]
ERROR_KINDS: tuple[ErrorKind, ...] = (
    "not_implemented",
    "exception",
    "bad_return",
    "skipped",
    "aborted",
)


@dataclass(frozen=True)
class LearnerError:
    kind: ErrorKind
    type: str
    message: str
    frames: tuple[Frame, ...] = ()


@dataclass
class CallResult:
    value: Any = None
    error: LearnerError | None = None
    warnings: list[str] = field(default_factory=list)
    # The rest is the learner's process speaking about itself, which it may forge: it feeds
    # advice only (grader/checks/unchanged.py), never points.
    # The arguments as they were after the call (None where unchanged, and for arguments the
    # judge never saw)
    args_after: tuple[Any, ...] = ()
    kwargs_after: dict[str, Any] = field(default_factory=dict)
    # the arguments (positions, or names of keyword arguments) whose memory the returned
    # value shares: a view of an argument, or the argument itself, handed back
    aliases: tuple[int | str, ...] = ()
    # what the call printed (stdout and stderr), up to a cap: shown with its check
    output: str = ""


PRINTED_CAP = 2000  # characters of what a call, or a check's calls, printed that are kept


def capped(text: str, most: int = PRINTED_CAP) -> str:
    """`text`, cut after `most` characters with a line that says so."""
    return text if len(text) <= most else text[:most] + "\n[... more output cut]"


@dataclass(frozen=True)
class NoResults:
    """Why no call of an exercise has a result, in `reason`: the learner's module could not be
    imported (`frames` where it failed), or the exercise was stopped while it was, or the
    sandbox could not run it, or the grader could not judge what came back. Every check of
    the exercise then scores 0, with the reason (`grader.grading`)."""

    reason: str
    frames: tuple[Frame, ...] = ()
    # Python could not compile the file: on some platforms (PrairieLearn) that is no attempt
    syntax_error: bool = False


def pick(value: Any, part: Part) -> Any:
    """One part of a returned value; LookupError, in words for the learner, if it has none."""
    if part is None:
        return value
    if isinstance(part, int):
        if not isinstance(value, tuple | list):
            raise LookupError(f"returned a single {type(value).__name__}, not a tuple")
        if len(value) <= part:
            raise LookupError(f"returned a tuple of {len(value)}")
        return value[part]
    if not isinstance(value, dict):
        raise LookupError(f"returned a {type(value).__name__}, not a dict")
    if part not in value:
        raise LookupError(f"returned a dict without the key {part!r}")
    return value[part]
