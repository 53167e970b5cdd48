"""How far a batch has come, and how long the rest will take.

The estimate is made from what grading a submission has taken so far, measured per submission
in the workers (from handing it over to its report), never from the batch's start: starting
the workers (an interpreter, NumPy, a sandbox each) happens once, and counting it in every
submission's share made a 50 s run announce 2:42.

    remaining_seconds(durations=[2.1, 1.9], queued=10, running=[0.5, 1.2], workers=2)

Outside a terminal (a log file, CI), where a progress bar cannot redraw itself, `Ticker` says
when a line is due: every `seconds`, or every tenth of the batch, whichever comes first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

RECENT = 20  # the estimate follows the latest submissions: later ones may be slower


def remaining_seconds(
    durations: Sequence[float], queued: int, running: Sequence[float], workers: int
) -> float | None:
    """Seconds until the last submission is graded, or None before any has been.

    `durations`: seconds each finished submission took; `queued`: submissions not started;
    `running`: seconds each submission being graded has run so far; `workers`: how many are
    graded at once. Each running one needs what a submission takes, less what it has had; the
    queued ones need that much each; `workers` of them go at a time."""
    if not durations:
        return None
    recent = durations[-RECENT:]
    each = sum(recent) / len(recent)
    left = sum(max(each - elapsed, 0.0) for elapsed in running) + queued * each
    return left / max(1, workers)


def clock_text(seconds: float) -> str:
    """0:42, 2:05, 1:02:03."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass(frozen=True)
class BatchProgress:
    """One submission finished: which, how it went, and where the batch stands."""

    student: str
    state: str  # graded, error
    done: int
    total: int
    eta: float | None  # seconds left, once a submission has been timed

    def line(self) -> str:
        percent = 100 * self.done // max(1, self.total)
        left = "" if self.eta is None else f", about {clock_text(self.eta)} left"
        return f"Graded {self.done}/{self.total} ({percent}%){left}; last: {self.student}"


@dataclass
class Ticker:
    """When a progress line is due: every `seconds`, every `fraction` of the batch, and at
    its end; never twice for one count."""

    total: int
    seconds: float = 10.0
    fraction: float = 0.1
    clock: Callable[[], float] = time.monotonic
    _last_time: float = field(init=False)
    _last_done: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._last_time = self.clock()

    def due(self, done: int) -> bool:
        now = self.clock()
        step = max(1, round(self.total * self.fraction))
        if done <= self._last_done:
            return False
        if (
            done >= self.total
            or now - self._last_time >= self.seconds
            or (done // step > self._last_done // step)
        ):
            self._last_time, self._last_done = now, done
            return True
        return False
