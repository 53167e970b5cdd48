"""Learner code runs here, never in the grader: a locked-down child process per exercise.

    with Sandbox(Limits()) as sandbox:
        workspace = sandbox.workspace(folder)          # a fresh copy of the submission
        outcome = sandbox.run(workspace / "exercise03_linear.py", calls)

The grader keeps the inputs, the reference and every comparison; a child gets the planned calls
and answers with plain data (`wire.py`). Children are forked by a zygote (`zygote.py`) that has
NumPy imported already, so isolation costs a fork, not an interpreter. Each child has a wall
clock, a CPU-time and a memory limit, a capped output, a closed stdin; it is killed with all it
started when its exercise ends. As root it also runs as an unprivileged user in a scrubbed
environment, and the reference solutions are locked away from that user.

A module a job, on either side of the line between the grader and learner code:

- the grader's side, where no learner code runs: `client.py` (`Sandbox`: starts the zygotes,
  sends the calls, reads the answers back), `limits.py` (`Limits`, the runtimes, the user),
  `slots.py` (a uid per sandbox), `workspace.py` (the folders a child is given), `walk.py`
  (which files of a submission are copied), `outcome.py` and `stack.py` (what a child's answer
  and its stack say, as results and sentences: they judge what came back) and `protection.py`
  (as root, a probe proves what learner code could reach, and grading is refused where it
  could read the answers);
- the learner's side, which judges nothing: `zygote.py` (forks a child per exercise and
  watches it), `child.py` (the child: confinement, then the runner on the learner's file),
  `namespaces.py`, `cgroups.py` and `sweep.py` (confinement, and what is left swept away);
- between them, `wire.py`: plain data, and nothing else.

This package's names are the ones the rest of the grader imports. They load on first use
(PEP 562), so that `launch.py` can start a zygote before NumPy is imported (`wire.py`'s).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grader.sandbox.client import PROBE_SECONDS, REFUSED, Sandbox
    from grader.sandbox.limits import (
        DEFAULT_RUNTIME,
        GIB,
        THREADS,
        TORCH_ADDRESS_SPACE,
        Limits,
        is_root,
        size_text,
        torch_available,
    )
    from grader.sandbox.outcome import HIDDEN_STOP, MAX_FRAME, Outcome, torch_missing
    from grader.sandbox.protection import COURSE_PRIVATE, Exposed, protect
    from grader.sandbox.walk import (
        MAX_COPY,
        MAX_DEPTH,
        MAX_FILE,
        MAX_FILES,
        SKIPPED_DIRS,
        SubmissionError,
        copy_submission,
        submission_files,
    )

_MODULES = {
    "client": ("PROBE_SECONDS", "REFUSED", "Sandbox"),
    "limits": (
        "DEFAULT_RUNTIME",
        "GIB",
        "THREADS",
        "TORCH_ADDRESS_SPACE",
        "Limits",
        "is_root",
        "size_text",
        "torch_available",
    ),
    "outcome": ("HIDDEN_STOP", "MAX_FRAME", "Outcome", "torch_missing"),
    "protection": ("COURSE_PRIVATE", "Exposed", "protect"),
    "walk": (
        "MAX_COPY",
        "MAX_DEPTH",
        "MAX_FILE",
        "MAX_FILES",
        "SKIPPED_DIRS",
        "SubmissionError",
        "copy_submission",
        "submission_files",
    ),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    globals()[name] = value  # looked up once
    return value


__all__ = [
    "COURSE_PRIVATE",
    "DEFAULT_RUNTIME",
    "GIB",
    "HIDDEN_STOP",
    "MAX_COPY",
    "MAX_DEPTH",
    "MAX_FILE",
    "MAX_FILES",
    "MAX_FRAME",
    "PROBE_SECONDS",
    "REFUSED",
    "SKIPPED_DIRS",
    "THREADS",
    "TORCH_ADDRESS_SPACE",
    "Exposed",
    "Limits",
    "Outcome",
    "Sandbox",
    "SubmissionError",
    "copy_submission",
    "is_root",
    "protect",
    "size_text",
    "submission_files",
    "torch_available",
    "torch_missing",
]
