"""The batch's estimate of the time left, and when it prints a progress line outside a
terminal: as functions, on made-up timings and a made-up clock; and what the estimate is made
from, as the batch's own worker pool measures it."""

from __future__ import annotations

import time

from grader.batch import WorkerPool
from grader.batch.progress import BatchProgress, Ticker, clock_text, remaining_seconds


def test_no_estimate_before_a_submission_is_timed() -> None:
    assert remaining_seconds([], queued=40, running=[3.0, 3.0], workers=2) is None


def test_the_estimate_is_the_work_left_shared_by_the_workers() -> None:
    # each takes 2 s; 10 queued and 2 just started, 2 at a time: 12 * 2 / 2
    assert remaining_seconds([2.0, 2.0], queued=10, running=[0.0, 0.0], workers=2) == 12.0
    # the running ones have had part of their time: 1.5 s and 2 s less to go
    assert remaining_seconds([2.0, 2.0], queued=10, running=[0.5, 3.0], workers=2) == 10.75
    assert remaining_seconds([2.0], queued=0, running=[], workers=4) == 0.0


START_UP = 2.0  # seconds a worker takes to start: an interpreter, NumPy, a sandbox
GRADING = 0.05  # seconds a submission takes once it has one


def _slow_start(seconds: float) -> None:
    time.sleep(seconds)


def _grade(state: None, task: int) -> int:
    time.sleep(GRADING)
    return task


def test_start_up_does_not_count_as_grading() -> None:
    """Through the batch's own worker pool: the time each submission is said to take runs
    from handing it over to its report, so the estimate after the first ones is the rest's
    grading, not start-up again for each (counted in, 50 s runs announced 2:42)."""
    pool = WorkerPool(2, _slow_start, _grade, START_UP)
    tasks = list(range(6))
    estimates = []
    for done, _ in enumerate(pool.run(tasks), start=1):
        running = pool.running()
        queued = len(tasks) - done - len(running)
        estimates.append(remaining_seconds(pool.durations, max(0, queued), running, pool.jobs))
    assert len(pool.durations) == len(tasks)
    assert all(seconds < START_UP / 2 for seconds in pool.durations)
    # five left after the first, two at a time: well under a second, start-up or no
    assert estimates[0] is not None and estimates[0] < START_UP / 2
    assert estimates[-1] == 0.0


def test_the_estimate_follows_the_latest_submissions() -> None:
    slow_then_fast = [10.0] * 5 + [1.0] * 20
    assert remaining_seconds(slow_then_fast, queued=4, running=[], workers=1) == 4.0


def test_clock_text() -> None:
    assert [clock_text(s) for s in (0, 42.4, 125, 3723)] == ["0:00", "0:42", "2:05", "1:02:03"]


def test_a_progress_line() -> None:
    line = BatchProgress("ann", "graded", 12, 50, 38.0).line()
    assert line == "Graded 12/50 (24%), about 0:38 left; last: ann"
    assert "left" not in BatchProgress("ann", "graded", 1, 50, None).line()


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_line_every_tenth_of_the_batch() -> None:
    clock = FakeClock()
    ticker = Ticker(total=50, seconds=1000.0, clock=clock)
    due = []
    for done in range(1, 51):
        clock.now += 0.1
        if ticker.due(done):
            due.append(done)
    assert due == [5, 10, 15, 20, 25, 30, 35, 40, 45, 50]


def test_a_line_every_n_seconds_of_a_slow_batch() -> None:
    clock = FakeClock()
    ticker = Ticker(total=1000, seconds=10.0, clock=clock)
    due = []
    for done in range(1, 31):
        clock.now += 4.0  # a submission every 4 s: a tenth would take 400 s
        if ticker.due(done):
            due.append(done)
    assert due == [3, 6, 9, 12, 15, 18, 21, 24, 27, 30]


def test_the_last_one_always_and_never_one_count_twice() -> None:
    clock = FakeClock()
    ticker = Ticker(total=3, seconds=1000.0, fraction=0.9, clock=clock)
    assert not ticker.due(1)
    assert ticker.due(3)
    assert not ticker.due(3)
