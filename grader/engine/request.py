"""What the front sends the engine: the command and everything about the process that
asked for it that changes what the command prints (`grader.engine.front` writes it)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Stream(BaseModel):
    """One of the front's standard streams, as click and the renderer see it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tty: bool  # colour only on a terminal (NO_COLOR aside)
    encoding: str  # Unicode marks and blocks, or their ASCII stand-ins
    errors: str


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    installation: str  # the Python and grader package the front runs: the engine's must match
    argv: list[str]  # after the program's name
    program: str  # as usage messages name it
    cwd: str
    environment: dict[str, str]  # NO_COLOR, COLUMNS, BPGRADE_COURSE...: the whole of it
    umask: int  # files written (progress, results) get the modes they would in-process
    terminal: tuple[int, int] | None  # the size of the front's standard output's terminal
    stdout: Stream
    stderr: Stream
