"""How long `bpgrade watch` takes from a save to the report on screen.

Run from the repository root: python benchmarks/watch_latency.py [--saves N] [--poll]
It starts `bpgrade watch exercise03` in a temporary workspace, saves exercise03's file N
times (a wrong answer each time, so that the exercise is watched throughout) and times each
save until the line under the new report; the median is reported, with the fastest and the
slowest. With --poll, saves are found by polling instead of the system's file events.
"""

from __future__ import annotations

import argparse
import os
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILE = "exercise03_linear.py"
WATCHING = "Watching exercises/"  # the line under every report while the exercise fails


def _lines(process: subprocess.Popen[str], into: queue.Queue[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        into.put(line)


def _wait_for(lines: queue.Queue[str], text: str, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if text in lines.get(timeout=1.0):
                return
        except queue.Empty:
            continue
    sys.exit(f"no {text!r} from bpgrade watch in {seconds:g} s")


def latencies(saves: int, poll: bool) -> list[float]:
    wrong = (ROOT / "solutions" / FILE).read_text(encoding="utf-8").replace("axis=0", "axis=1")
    with tempfile.TemporaryDirectory() as folder:
        workspace = Path(folder)
        shutil.copytree(ROOT / "exercises", workspace / "exercises")
        environment = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
        environment.pop("BPGRADE_COURSE", None)
        command = [sys.executable, "-m", "grader", "watch", "exercise03", *(["--poll"] * poll)]
        process = subprocess.Popen(
            command,
            cwd=workspace,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_lines, args=(process, lines), daemon=True).start()
        try:
            _wait_for(lines, WATCHING)
            times = []
            for number in range(saves):
                time.sleep(0.5)  # a learner's saves are seconds apart
                started = time.perf_counter()
                path = workspace / "exercises" / FILE
                path.write_text(f"{wrong}\n# save {number}\n", encoding="utf-8")
                _wait_for(lines, WATCHING)
                times.append(time.perf_counter() - started)
            return times
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--saves", type=int, default=7)
    parser.add_argument("--poll", action="store_true", help="poll instead of file events")
    arguments = parser.parse_args()
    times = latencies(arguments.saves, arguments.poll)
    how = "polling" if arguments.poll else "file events"
    print(
        f"bpgrade watch exercise03 ({how}), save to report, {len(times)} saves: "
        f"median {statistics.median(times):.3f} s "
        f"(fastest {min(times):.3f} s, slowest {max(times):.3f} s)"
    )


if __name__ == "__main__":
    main()
