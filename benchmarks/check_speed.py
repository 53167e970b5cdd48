"""How long `bpgrade check --all --dir solutions` takes, beside a bare `import numpy`.

Run from the repository root with bpgrade installed: python benchmarks/check_speed.py [--runs N]
Each command runs in a fresh process, as a learner would start it; the median is reported.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def wall_times(command: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    bpgrade = shutil.which("bpgrade") or sys.exit("bpgrade is not installed (pip install -e .)")
    commands = {
        'python -c "import numpy"': [sys.executable, "-c", "import numpy"],
        "python -c pass": [sys.executable, "-c", "pass"],
        "bpgrade check --all --dir solutions": [bpgrade, "check", "--all", "--dir", "solutions"],
        "bpgrade check exercise03 --dir solutions": [bpgrade, "check", "3", "--dir", "solutions"],
    }
    wall_times(commands["python -c pass"], 2)  # warm the file cache
    medians = {name: statistics.median(wall_times(cmd, runs)) for name, cmd in commands.items()}
    numpy_time = medians['python -c "import numpy"']
    print(f"median of {runs} runs each")
    for name, seconds in medians.items():
        print(f"  {name:<44} {seconds * 1000:7.1f} ms   {seconds / numpy_time:4.2f}x numpy import")


if __name__ == "__main__":
    main()
