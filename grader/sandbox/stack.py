"""Where the learner's code was when the sandbox stopped it, read from the child's stack pipe.

The child writes `call N` before each call; faulthandler writes Python stacks (just before the
wall clock runs out, at the CPU-time limit, on a crash) as text:

    Timeout (0:00:09.750000)!
    Thread 0x00007f3a... (most recent call first):
      File "/tmp/bpgrade-submission-.../exercise03_linear.py", line 14 in linear_backward
      File "/.../grader/runner.py", line 190 in make_call
      ...

Learner code may have silenced it, or written anything at all into the pipe: this is text,
never trusted beyond a file name, a line number and a function name, and a spot that cannot be
told is no spot. The line of code shown is read from the grader's own copy of the file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

FRAME = re.compile(r'  File "(?P<file>[^"]*)", line (?P<line>\d{1,9}) in (?P<function>\S{1,200})')
MARK = re.compile(r"call (\d{1,9})")
THREAD = re.compile(r"(?:(?:Current thread|Thread) 0x[0-9a-f]+|Stack) \(most recent call first\):")
RUNNER = re.compile(r".*[/\\]grader[/\\]runner\.py")
CODE_SHOWN = 120
MAX_LINES = 200_000  # of a learner's file, read for the line shown


@dataclass(frozen=True)
class Spot:
    """The deepest frame in the learner's files of the stack last written, and the call that
    was running when it was written (None: the file was being imported)."""

    call: int | None
    file: str
    line: int
    function: str

    def describe(self, folder: Path) -> str:
        """`(exercise03_linear.py, line 14: `while True:`)`, the code from the grader's copy."""
        code = source_line(folder, self.file, self.line)
        return f"({self.file}, line {self.line}" + (f": `{code}`)" if code else ")")


def last_spot(text: bytes, folder: Path) -> Spot | None:
    """The spot of the last stack written that shows the learner's code at work."""
    where = os.path.normpath(str(folder))
    call: int | None = None
    blocks: list[tuple[int | None, list[re.Match[str]]]] = []
    frames: list[re.Match[str]] | None = None
    for line in text.decode("ascii", errors="replace").splitlines():
        mark = MARK.fullmatch(line)
        if mark:
            call, frames = int(mark.group(1)), None
        elif THREAD.fullmatch(line):
            frames = []
            blocks.append((call, frames))
        elif frames is not None and (frame := FRAME.fullmatch(line)):
            frames.append(frame)
        elif line.strip() and not line.startswith("  "):
            frames = None  # anything else ends the stack it interrupts
    # the grader's runner below it marks the thread that made the call; a thread the learner
    # started may only stand in when there is no such stack
    for wanted in (True, False):
        for call_of, stack in reversed(blocks):
            if wanted and not any(RUNNER.fullmatch(f.group("file")) for f in stack):
                continue
            for frame in stack:  # most recent call first: the deepest learner frame
                path = frame.group("file")
                if os.path.dirname(path) == where and os.path.basename(path):
                    name = os.path.basename(path)
                    return Spot(call_of, name, int(frame.group("line")), frame.group("function"))
    return None


def source_line(folder: Path, name: str, number: int) -> str:
    """Line `number` of the submission's file `name`, stripped and clipped; "" if none."""
    path = folder / name
    if os.sep in name or name in ("", ".", "..") or path.is_symlink() or not path.is_file():
        return ""
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            for index, text in enumerate(file, start=1):
                if index == number:
                    code = text.strip()
                    return code if len(code) <= CODE_SHOWN else code[:CODE_SHOWN] + " [...]"
                if index >= min(number, MAX_LINES):
                    break
    except OSError:
        pass
    return ""
