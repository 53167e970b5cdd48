"""The real `bpgrade` in a pseudo-terminal, as a learner runs it: what it shows, what is typed.

`Terminal` starts the installed `bpgrade` script on a pseudo-terminal of a fixed size (the
standard library's pty, as pexpect does it), so the program sees a terminal: click colours its
output, `shutil.get_terminal_size` reads the 80 columns, and Ctrl-C (byte 0x03) reaches it as
SIGINT through the terminal's line discipline, not as a signal a test sends by hand. What the
program wrote is kept as the screen would show it: colours stripped, lines split at the
terminal's line ends.

Waiting is for text, never for time: `expect` reads until the text is on screen, and fails
with the screen so far if the program ends first or nothing comes for a long while (a hang).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The console script installed beside the Python running the tests (a venv's, CI's); where
# there is none, the same entry point through `python -m grader`.
_SCRIPT = Path(sys.executable).parent / "bpgrade"
BPGRADE = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "grader"]
COLUMNS, ROWS = 80, 24
CTRL_C, CTRL_D = "\x03", "\x04"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Seconds without the awaited text (or the end) before a test gives up on a hang: a guard,
# not a measurement.
HANG = float(os.environ.get("BPGRADE_TEST_HANG", "120"))


def screen_text(raw: bytes) -> str:
    """What a terminal shows of `raw`: colours gone, each terminal line end a newline."""
    text = _ANSI.sub("", raw.decode("utf-8", errors="replace"))
    return text.replace("\r\n", "\n").replace("\r", "\n")


class Terminal:
    def __init__(
        self,
        args: Sequence[str],
        cwd: Path,
        env: Mapping[str, str] | None = None,
        columns: int = COLUMNS,
        rows: int = ROWS,
    ) -> None:
        environment = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        environment.pop("NO_COLOR", None)
        environment.update({"TERM": "xterm", "PYTHONPATH": str(REPO), **(env or {})})
        argv = [*BPGRADE, *args]
        size = struct.pack("HHHH", rows, columns, 0, 0)
        pid, fd = pty.fork()
        if pid == 0:  # the child: its terminal is the pty's other end, sized before exec
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, size)
                os.chdir(cwd)
                os.execve(argv[0], argv, environment)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.raw = b""
        self.status: int | None = None

    @property
    def screen(self) -> str:
        return screen_text(self.raw)

    @property
    def lines(self) -> list[str]:
        return self.screen.split("\n")

    def _read(self, timeout: float) -> bool:
        """Read what is there; False once the program closed its terminal."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: every process on the terminal is gone
            return False
        self.raw += chunk
        return bool(chunk)

    def expect(self, text: str) -> None:
        """Read until `text` is on screen (after anything already matched is fine)."""
        quiet_since = time.monotonic()
        while text not in self.screen:
            before = len(self.raw)
            if not self._read(1.0):
                raise AssertionError(f"bpgrade ended before {text!r} was shown:\n{self.screen}")
            if len(self.raw) > before:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= HANG:
                raise AssertionError(f"{text!r} never came; the screen:\n{self.screen}")

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode("utf-8"))

    def interrupt(self) -> None:
        """Ctrl-C, as soon as the prompt is on screen, as a quick learner presses it."""
        self.send(CTRL_C)

    def type_line(self, reply: str) -> None:
        self.send(reply + "\r")  # Enter, as a terminal sends it

    def wait(self) -> int:
        """The exit status, once the program has ended; everything it wrote is read."""
        quiet_since = time.monotonic()
        while True:
            before = len(self.raw)
            if not self._read(1.0):
                break  # the terminal is closed: the program is ending
            if len(self.raw) > before:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= HANG:
                raise AssertionError(f"bpgrade never ended; the screen:\n{self.screen}")
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        self.status = os.waitstatus_to_exitcode(status)
        return self.status

    def close(self) -> None:
        """Stop the program if a failed test left it running."""
        if self.status is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            os.close(self.fd)
            self.status = -signal.SIGKILL

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
