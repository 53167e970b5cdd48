"""The `bpgrade` command's front: hands `check`, `list` and `next` (and `bpgrade` alone) to
the user's grading engine, starting one where none runs, and prints what it sends back;
every other command, and any of these where anything about the engine fails, runs
in-process through `grader.cli`, as it always did.

Standard library only at import (no click, NumPy or pydantic): a warm re-check costs this
interpreter's start, one round trip and the engine's work. What the engine prints is held
until the command's end, so that an engine lost halfway leaves nothing printed twice when
the command runs again in-process.
"""

from __future__ import annotations

# _socket and _signal, not socket and signal: the public modules make an enum of every
# constant at import, 10 to 20 ms of each re-check
import _signal  # type: ignore[import-not-found]  # typeshed has no stub for it
import _socket
import contextlib
import os
import sys
import time

from grader.engine import place, wire

ENGINE_COMMANDS = frozenset({"check", "list", "next"})
SWITCH = "BPGRADE_ENGINE"  # 0 (or off, no, false): never use an engine
_OFF = frozenset({"0", "off", "no", "false"})
# options that make a run a platform's (results for Gradescope, PrairieLearn, CI): graded
# in-process, in a fresh sandbox, with nothing left behind
_PLATFORM_OPTIONS = ("--format", "--output")

BUSY_SECONDS = 2.0  # for a running one: busy longer with another check, grade in-process
STOP_SECONDS = 10.0  # for the engine to end a stopped check and say how
SOCKET_PATH_MOST = 100  # bytes: a Unix socket's path has room for 107


def wanted(arguments: list[str], environment: dict[str, str] | os._Environ[str]) -> bool:
    """Whether this command goes to the engine."""
    if environment.get(SWITCH, "").strip().lower() in _OFF:
        return False
    if environment.get("CI", "").strip().lower() not in ("", "0", "false"):
        return False  # no process may outlive a CI job's step
    if environment.get("BPGRADE_OUTPUT"):
        return False
    if arguments and arguments[0] not in ENGINE_COMMANDS:
        return False
    return not any(a.split("=")[0] in _PLATFORM_OPTIONS for a in arguments)


def main() -> None:
    arguments = sys.argv[1:]
    if wanted(arguments, os.environ):
        try:
            status = through_engine(arguments)
        except KeyboardInterrupt:  # before the engine had the request: as click says it
            sys.stderr.write("\nAborted!\n")
            raise SystemExit(1) from None
        if status is not None:
            raise SystemExit(status)
    from grader.cli import main as in_process

    in_process()


def through_engine(arguments: list[str]) -> int | None:
    """The command's exit status, its output printed; None where the engine could not run
    it (then nothing was printed)."""
    try:
        folder = place.private_dir(place.engine_dir())
        request = _request(arguments)
    except (OSError, ValueError, AttributeError):
        return None
    connection = _connected(folder)
    if connection is None:
        return None
    try:
        answer = _conversation(connection, request, BUSY_SECONDS)
    finally:
        connection.close()
    if answer != "stale":
        return answer if isinstance(answer, int) else None
    # it declined and is going: this command in-process, a fresh engine for the next
    _wait_gone(place.socket_path(folder))
    with contextlib.suppress(OSError):
        _start(folder)
    return None


def _request(arguments: list[str]) -> bytes:
    """What the engine needs to run the command as this process would."""
    import json

    mask = os.umask(0o077)
    os.umask(mask)
    try:
        size: list[int] | None = list(os.get_terminal_size(sys.__stdout__.fileno()))  # type: ignore[union-attr]
    except (OSError, AttributeError, ValueError):
        size = None  # as shutil.get_terminal_size finds no terminal
    request = {
        "installation": place.installation(),
        "argv": arguments,
        "program": os.path.basename(sys.argv[0]) or "bpgrade",
        "cwd": os.getcwd(),
        "environment": dict(os.environ),
        "umask": mask,
        "terminal": size,
        "stdout": _stream(sys.stdout),
        "stderr": _stream(sys.stderr),
    }
    return json.dumps(request).encode()


def _stream(stream: object) -> dict[str, object]:
    if stream is None:
        raise ValueError("no stream")
    return {
        "tty": bool(stream.isatty()),  # type: ignore[attr-defined]
        "encoding": stream.encoding,  # type: ignore[attr-defined]
        "errors": stream.errors,  # type: ignore[attr-defined]
    }


def _connect(path: str) -> _socket.socket | None:
    connection = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        connection.connect(path)
    except OSError:
        connection.close()
        return None
    return connection


def _connected(folder: str) -> _socket.socket | None:
    """A connection to the engine; None where none runs.

    Where none runs, one is started to take the NEXT command: it waits for this process to
    end before it loads anything, so this command, graded in-process, has the machine to
    itself and costs no more than it did without an engine."""
    path = place.socket_path(folder)
    if len(path.encode()) > SOCKET_PATH_MOST:
        return None
    connection = _connect(path)
    if connection is None:
        with contextlib.suppress(OSError):
            _start(folder)
    return connection


def _start(folder: str) -> None:
    """The engine, detached: a session of its own, no terminal, the root folder as its
    working directory (never the learner's, which -P keeps off its import path too); it
    starts once this process has ended."""
    import subprocess

    subprocess.Popen(
        [sys.executable, "-P", "-m", "grader.engine", folder, str(os.getpid())],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd="/",
        start_new_session=True,
    )


def _wait_gone(path: str, seconds: float = 5.0) -> None:
    """Until the stale engine has taken its socket away (it does so before it goes)."""
    deadline = time.monotonic() + seconds
    while os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.01)


def _conversation(connection: _socket.socket, request: bytes, patience: float) -> int | str | None:
    """The exit status (the output printed), "stale", or None: in-process it is."""
    connection.settimeout(patience)
    try:
        hello = wire.receive(connection)
        if hello is None or hello[0] != wire.HELLO:
            return None
        wire.send(connection, wire.REQUEST, request)
    except OSError:
        return None
    connection.settimeout(None)
    return _outcome(connection)


def _outcome(connection: _socket.socket) -> int | str | None:
    """Frames until the end; a stop (Ctrl-C, SIGTERM) is passed on to the engine, which ends
    the check as the command in-process would, and says so."""
    written: list[tuple[bytes, bytes]] = []
    stopped = False

    def stop_with(name: bytes) -> None:
        nonlocal stopped
        if not stopped:
            stopped = True
            connection.settimeout(STOP_SECONDS)
        with contextlib.suppress(OSError):
            wire.send(connection, wire.STOP, name)

    previous = _signal.signal(_signal.SIGTERM, lambda number, frame: stop_with(b"TERM"))
    try:
        while True:
            try:
                frame = wire.receive(connection)
            except KeyboardInterrupt:
                if stopped:
                    raise SystemExit(130) from None  # a second Ctrl-C: at once
                stop_with(b"INT")
                continue
            except OSError:
                frame = None
            if frame is None:
                if stopped:  # it went while stopping: what click says in-process
                    _print([(wire.ERR, b"\nAborted!\n")])
                    return 1
                return None
            kind, payload = frame
            if kind in (wire.OUT, wire.ERR):
                written.append((kind, payload))
            elif kind == wire.EXIT:
                _print(written)
                return int(payload)
            elif kind == wire.DECLINE:
                return "stale" if payload.startswith(b"stale") else None
    finally:
        _signal.signal(_signal.SIGTERM, previous)


def _print(written: list[tuple[bytes, bytes]]) -> None:
    for kind, payload in written:
        stream = sys.stdout if kind == wire.OUT else sys.stderr
        stream.flush()
        stream.buffer.write(payload)
        stream.buffer.flush()
