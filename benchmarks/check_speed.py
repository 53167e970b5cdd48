"""How long a cold `bpgrade check` takes, beside a bare `import numpy` (issue 16: within 2x).

Run from the repository root with bpgrade installed: python benchmarks/check_speed.py [--runs N]
Each command runs in a fresh process, as a learner would start it. The commands take turns,
round after round, so that a machine busy with something else slows them alike; the medians
and their ratios to the NumPy import are reported.

The course's Python files are compiled to bytecode first (compileall), as a learner's install
has them: an editable install under PYTHONDONTWRITEBYTECODE=1 would otherwise compile the
grader on every run. `check --all` over the twelve exercises includes exercise09's torch
(a torch import in its zygote and in the judge, seconds); the NumPy ones are the other eleven.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPILED = ("grader", "specs", "solutions", "exercises")
NUMPY_EXERCISES = [str(n) for n in range(1, 13) if n != 9]


def wall_time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def commands(bpgrade: str, torch: bool) -> dict[str, list[str]]:
    found = {
        'python -c "import numpy"': [sys.executable, "-c", "import numpy"],
        "python -c pass": [sys.executable, "-c", "pass"],
        "bpgrade check exercise03 --dir solutions": [bpgrade, "check", "3", "--dir", "solutions"],
        "bpgrade check <11 NumPy exercises> --dir solutions": [
            bpgrade,
            "check",
            *NUMPY_EXERCISES,
            "--dir",
            "solutions",
        ],
    }
    if torch:
        found["bpgrade check --all --dir solutions"] = [
            bpgrade,
            "check",
            "--all",
            "--dir",
            "solutions",
        ]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--no-torch", action="store_true", help="leave out check --all (exercise09's torch)"
    )
    options = parser.parse_args()
    bpgrade = shutil.which("bpgrade") or sys.exit("bpgrade is not installed (pip install -e .)")
    for folder in COMPILED:
        compileall.compile_dir(ROOT / folder, quiet=1)
    timed = commands(bpgrade, torch=not options.no_torch)
    wall_time(timed["python -c pass"])  # warm the file cache
    for command in timed.values():
        wall_time(command)
    times: dict[str, list[float]] = {name: [] for name in timed}
    for _ in range(options.runs):
        for name, command in timed.items():
            times[name].append(wall_time(command))
    medians = {name: statistics.median(runs) for name, runs in times.items()}
    numpy_time = medians['python -c "import numpy"']
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"median of {options.runs} rounds, the commands taking turns; bytecode compiled "
        f"(compileall of {', '.join(COMPILED)}); {os.cpu_count()} cores, load {load:.1f}"
    )
    for name, seconds in medians.items():
        print(f"  {name:<52} {seconds * 1000:7.1f} ms   {seconds / numpy_time:5.2f}x numpy import")


if __name__ == "__main__":
    main()
