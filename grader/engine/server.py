"""The engine: listens on its socket, takes one request at a time from its own user, and
runs the `bpgrade` command asked for in-process, with the asker's working directory,
environment, umask and streams, through the same click command as the front would run
(so the output is the same to the byte), with a warm session per course for `check`.

It goes when idle for IDLE_SECONDS, when what it loaded has changed (it declines the request
that found out, and the front starts a fresh one), or on SIGTERM; each time taking its
socket away first, if it is still its own.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import io
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from types import FrameType
from typing import TYPE_CHECKING

from grader.engine import place, wire
from grader.engine.loaded import Loaded
from grader.engine.request import Request, Stream

if TYPE_CHECKING:
    from grader.api import Session
    from grader.sandbox import Limits

IDLE_SECONDS = float(os.environ.get("BPGRADE_ENGINE_IDLE", 600))
LOCK_SECONDS = 10.0  # for a stale engine to go before a fresh one takes its place
REQUEST_SECONDS = 10.0  # for the front to send its request once greeted
AFTER_SECONDS = 600.0  # the longest a new engine waits for its front's check to end
MOST_SESSIONS = 4  # warm sessions (a sandbox each) kept, the most recently used

# a warm session's key: its course, the working folder where that is relative, its limits
Warm = tuple[str, str, "Limits"]


def say(line: str) -> None:
    """A line in the engine's log (beside its socket, its user's only): why it went, what it
    declined, what broke; the front says nothing of it, falling back in silence."""
    with contextlib.suppress(OSError), open(LOG, "a", encoding="utf-8") as log:
        log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} [{os.getpid()}] {line}\n")


LOG = os.devnull  # set by `run`
LOG_MOST = 256 << 10


class Relay(io.RawIOBase):
    """One of the front's streams, in frames; a terminal where the front's is one. Once the
    front has gone, what is written is dropped: the check is being stopped."""

    def __init__(self, connection: socket.socket, kind: bytes, tty: bool) -> None:
        super().__init__()
        self._connection = connection
        self._kind = kind
        self._tty = tty
        self._gone = False

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self._tty

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if not self._gone:
            try:
                wire.send(self._connection, self._kind, bytes(data))
            except OSError:
                self._gone = True
        return len(data)


def _text(connection: socket.socket, kind: bytes, stream: Stream) -> io.TextIOWrapper:
    relay = io.BufferedWriter(Relay(connection, kind, stream.tty))  # type: ignore[type-var]
    return io.TextIOWrapper(
        relay, encoding=stream.encoding, errors=stream.errors, line_buffering=True
    )


class WarmSessions:
    """A `grader.api.Session` per course, limits and (for a relative course) working folder,
    lent to `bpgrade check` and kept warm between checks; dropped when a check was stopped
    (its sandbox halts for good) or ended in an error not its own.

    A sandbox says some of its notes once in its life (how learner code was confined, at its
    first exercise): each check is given the notes its session had after its first check,
    as a check in-process in a fresh sandbox would say them, not the notes of checks before."""

    def __init__(self) -> None:
        self._sessions: dict[Warm, tuple[Session, list[str] | None]] = {}

    @contextlib.contextmanager
    def lend(self, limits: Limits) -> Iterator[Session]:
        from grader.api import Session
        from grader.course import course_root

        course = course_root()
        key = (str(course), "" if course.is_absolute() else os.getcwd(), limits)
        if key in self._sessions:
            session, notes = self._sessions.pop(key)
        else:
            session, notes = Session(limits=limits), None
        if notes is not None:
            session.sandbox.notes[:] = notes
        try:
            yield session
        except Exception as error:
            if not _usage(error):
                session.close()
                raise
            self._keep(key, session, notes)
            raise
        except BaseException:
            session.close()
            raise
        self._keep(key, session, list(session.sandbox.notes) if notes is None else notes)

    def _keep(self, key: Warm, session: Session, notes: list[str] | None) -> None:
        self._sessions[key] = (session, notes)
        while len(self._sessions) > MOST_SESSIONS:
            oldest = next(iter(self._sessions))
            self._sessions.pop(oldest)[0].close()

    def close(self) -> None:
        while self._sessions:
            self._sessions.popitem()[1][0].close()


def _usage(error: Exception) -> bool:
    import click

    return isinstance(error, click.ClickException)


class Engine:
    def __init__(self) -> None:
        self.loaded = Loaded()
        self.sessions = WarmSessions()
        self.stale = False
        self._running = threading.Event()  # the command running now, while it runs
        self._guard = threading.Lock()

    # -- one request ------------------------------------------------------------------

    def answer(self, connection: socket.socket) -> None:
        if not _own_user(connection):
            say("refused a peer of another user")
            return
        connection.settimeout(REQUEST_SECONDS)
        wire.send(connection, wire.HELLO)
        frame = wire.receive(connection)
        if frame is None or frame[0] != wire.REQUEST:
            return
        try:
            request = Request.model_validate_json(frame[1])
        except ValueError as error:
            wire.send(connection, wire.DECLINE, f"not a request: {error}".encode())
            return
        if request.installation != place.installation():
            wire.send(connection, wire.DECLINE, b"another installation")
            say(f"declined a request of another installation: {request.installation!r}")
            return
        connection.settimeout(None)
        gc.disable()  # no sweep of the whole heap halfway through a check
        try:
            start = time.perf_counter()
            status = self._run(connection, request)
            if status is not None:
                wire.send(connection, wire.EXIT, str(status).encode())
                took = (time.perf_counter() - start) * 1000
                say(f"{' '.join(request.argv[:2]) or 'next'}: status {status} in {took:.0f} ms")
        finally:
            # answered: now the garbage collector sweeps, and what is left (NumPy, the
            # grader, the warm sessions) it need never look at again
            gc.enable()
            gc.collect()
            gc.freeze()

    def _run(self, connection: socket.socket, request: Request) -> int | None:
        out = _text(connection, wire.OUT, request.stdout)
        err = _text(connection, wire.ERR, request.stderr)
        with _as_asked(request, out, err):
            changed = self._changed()
            if changed is not None:
                self.stale = True
                say(f"stale: {changed} changed; going")
                wire.send(connection, wire.DECLINE, f"stale: {changed} changed".encode())
                return None
            # this command's own: a listener late to hear its front go must not stop the next
            running = self._running = threading.Event()
            running.set()
            listener = threading.Thread(
                target=self._listen, args=(connection, running), daemon=True
            )
            listener.start()
            try:
                status = _command(request)
            except KeyboardInterrupt:  # a stop that came as the command ended
                err.write("\nAborted!\n")
                status = 1
            finally:
                with self._guard:
                    running.clear()
                with contextlib.suppress(OSError, ValueError):
                    out.flush()
                    err.flush()
        return status

    def _changed(self) -> str | None:
        from grader.course import course_root

        try:
            course = course_root().resolve()
        except OSError:
            return None
        return self.loaded.stale(course)

    @property
    def checking(self) -> bool:
        return self._running.is_set()

    def _listen(self, connection: socket.socket, running: threading.Event) -> None:
        """The front's stop, passed to the command as the signal it stands for; the front's
        going (killed) stops the check too."""
        while True:
            try:
                frame = wire.receive(connection)
            except OSError:
                frame = None
            number = signal.SIGTERM if frame == (wire.STOP, b"TERM") else signal.SIGINT
            with self._guard:
                if not running.is_set():
                    return
                if frame is None or frame[0] == wire.STOP:
                    signal.pthread_kill(threading.main_thread().ident or 0, number)
            if frame is None:
                return

    # -- the process ------------------------------------------------------------------

    def serve(self, listener: socket.socket) -> None:
        """Requests until idle or stale."""
        import grader.cli

        grader.cli.session_for = self.sessions.lend
        listener.settimeout(IDLE_SECONDS)
        while not self.stale:
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                say(f"idle for {IDLE_SECONDS:g} s; going")
                return
            with connection:
                try:
                    self.answer(connection)
                except (OSError, KeyboardInterrupt) as error:
                    say(f"a request failed: {error!r}")  # that front goes in-process
                    continue


def _own_user(connection: socket.socket) -> bool:
    """Whether the peer runs as this engine's user (SO_PEERCRED, from the kernel)."""
    credentials = connection.getsockopt(
        socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")
    )
    _pid, uid, _gid = struct.unpack("3i", credentials)
    return uid == os.geteuid()


@contextlib.contextmanager
def _as_asked(request: Request, out: io.TextIOWrapper, err: io.TextIOWrapper) -> Iterator[None]:
    """The asker's working directory, environment, umask, arguments and streams, for the
    length of its command; the engine's own again after it."""
    environment = dict(os.environ)
    argv = sys.argv
    streams = sys.stdout, sys.stderr
    os.chdir(request.cwd)
    os.environ.clear()
    os.environ.update(_with_terminal(request))
    mask = os.umask(request.umask)
    sys.argv = [request.program, *request.argv]
    sys.stdout, sys.stderr = out, err
    try:
        yield
    finally:
        sys.stdout, sys.stderr = streams
        sys.argv = argv
        os.umask(mask)
        os.environ.clear()
        os.environ.update(environment)
        os.chdir("/")


def _with_terminal(request: Request) -> dict[str, str]:
    """The asker's environment, with its terminal's size where shutil.get_terminal_size
    would have found it: the engine has no terminal of its own."""
    environment = dict(request.environment)
    if request.terminal is not None:
        for name, size in zip(("COLUMNS", "LINES"), request.terminal, strict=True):
            if not environment.get(name, "").strip().isdigit() or int(environment[name]) <= 0:
                environment[name] = str(size)
    return environment


def _command(request: Request) -> int:
    """The command's exit status, as the interpreter would give it."""
    from grader.cli import main

    try:
        main.main(args=list(request.argv), prog_name=request.program, standalone_mode=True)
    except SystemExit as exit_:
        code = exit_.code
        if code is None or isinstance(code, int):
            return code or 0
        print(code, file=sys.stderr)
        return 1
    except Exception:
        said = traceback.format_exc()
        say(f"the command raised:\n{said}")
        sys.stderr.write(said)
        return 1
    return 0


# -- starting and going -----------------------------------------------------------------


def _locked(folder: str) -> int | None:
    """The lock that makes this the one engine of its installation, or None where another
    holds it still after LOCK_SECONDS (a stale one going, or a healthy one: it answers)."""
    descriptor = os.open(place.lock_path(folder), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    deadline = time.monotonic() + LOCK_SECONDS
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.ftruncate(descriptor, 0)
            os.write(descriptor, f"{os.getpid()}\n".encode())  # whom to stop (tests, a user)
            return descriptor
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(descriptor)
                return None
            time.sleep(0.02)


def _listening(path: str) -> tuple[socket.socket, int]:
    """The socket, 0600, put in place at once (a front never finds half of it)."""
    interim = f"{path}.{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(interim)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    mask = os.umask(0o177)
    try:
        listener.bind(interim)
    finally:
        os.umask(mask)
    os.chmod(interim, 0o600)
    listener.listen(16)
    os.rename(interim, path)
    return listener, os.stat(path).st_ino


def _take_away(path: str, inode: int) -> None:
    """Our socket, not a successor's."""
    with contextlib.suppress(OSError):
        if os.stat(path).st_ino == inode:
            os.unlink(path)


def _terminated(engine: Engine) -> Callable[[int, FrameType | None], None]:
    """SIGTERM: while a command runs (where `check` has not put its own), a stop of it;
    else the engine goes."""

    def handler(number: int, frame: FrameType | None) -> None:
        if engine.checking:
            raise KeyboardInterrupt
        raise SystemExit(0)

    return handler


def run(folder: str) -> None:
    """The engine's life: one of its installation, in a folder only its user may use."""
    global LOG
    place.private_dir(folder)
    if _locked(folder) is None:
        return
    LOG = place.log_path(folder)
    with contextlib.suppress(OSError):
        if os.stat(LOG).st_size > LOG_MOST:  # the engines before it are of no interest now
            os.truncate(LOG, 0)
    say(f"started for {place.installation()!r}")
    os.chdir("/")
    engine = Engine()  # what it loads is stamped before it is loaded
    signal.signal(signal.SIGTERM, _terminated(engine))
    path = place.socket_path(folder)
    listener, inode = _listening(path)
    try:
        engine.serve(listener)
    finally:
        _take_away(path, inode)
        listener.close()
        engine.sessions.close()


def _after(pid: int) -> None:
    """Until process `pid` (the front that started this engine, grading in-process) ends:
    the engine's imports and first sandbox must not compete with that check for the CPU."""
    try:
        watched = os.pidfd_open(pid)
    except OSError:
        return  # gone already
    try:
        select.select([watched], [], [], AFTER_SECONDS)
    finally:
        os.close(watched)


def _warm_up() -> None:
    """What every check needs, imported before the first one asks."""
    import grader.api
    import grader.cli
    import grader.grading
    import grader.submission  # noqa: F401


def main() -> None:
    folder = sys.argv[1] if len(sys.argv) > 1 else place.engine_dir()
    if len(sys.argv) > 2:
        _after(int(sys.argv[2]))
    _warm_up()
    try:
        run(os.path.abspath(folder))
    except place.Unsafe:
        sys.exit(1)
