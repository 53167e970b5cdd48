"""How long a re-check takes with the grading engine warm, beside a bare NumPy import.

Run from the repository root, in the environment bpgrade is installed in:
    python benchmarks/warm_check.py [--runs N] [--exercise exercise03]

Prints, measured in one run with the kinds alternating (medians; a shared machine is noisy):
`python -c "import numpy"`; `bpgrade check EXERCISE --dir solutions` in-process
(BPGRADE_ENGINE=0); the same through an engine just started (cold: the engine's start
included); through the warm engine; and a notebook's (or watch mode's) second
`Session.check` in this process. The engine lives in a temporary folder of its own and is
stopped at the end. Bytecode: as the environment has it (PYTHONDONTWRITEBYTECODE is said);
with --bytecode, written and read in a temporary PYTHONPYCACHEPREFIX, as a learner's install
has it (the first runs compile; medians leave them out).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BPGRADE = Path(sys.executable).parent / "bpgrade"


def _timed(command: list[str], environment: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def _stop(folder: Path) -> None:
    for lock in folder.glob("engine-*.lock"):
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(lock.read_text().strip()), signal.SIGTERM)
    time.sleep(0.2)


def _ms(seconds: list[float]) -> str:
    return f"{statistics.median(seconds) * 1000:7.0f} ms (min {min(seconds) * 1000:.0f})"


def _session_rechecks(exercise: str, runs: int) -> list[float]:
    from grader.api import Session

    with Session() as session:
        session.check(exercise, folder=ROOT / "solutions")
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            session.check(exercise, folder=ROOT / "solutions")
            times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--exercise", default="exercise03")
    parser.add_argument("--bytecode", action="store_true", help="compiled modules, as installed")
    options = parser.parse_args()
    if not BPGRADE.is_file():
        sys.exit(f"no bpgrade command beside {sys.executable}: pip install -e . first")
    check = [str(BPGRADE), "check", options.exercise, "--dir", "solutions"]
    base = {k: v for k, v in os.environ.items() if not k.startswith("BPGRADE")}
    base.pop("CI", None)
    folder = Path(tempfile.mkdtemp(prefix="bpgrade-bench-"))
    if options.bytecode:
        base.pop("PYTHONDONTWRITEBYTECODE", None)
        base["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    engine = {**base, "BPGRADE_ENGINE_DIR": str(folder / "engine")}
    alone = {**base, "BPGRADE_ENGINE": "0"}
    kinds: dict[str, Callable[[], float]] = {
        "python -c 'import numpy'": lambda: _timed([sys.executable, "-c", "import numpy"], base),
        "check in-process": lambda: _timed(check, alone),
        "check through the warm engine": lambda: _timed(check, engine),
    }
    figures: dict[str, list[float]] = {name: [] for name in kinds}
    cold: list[float] = []
    try:
        for _ in range(options.runs):
            _stop(folder / "engine")
            cold.append(_timed(check, engine))  # the engine started for it
            for name, run in kinds.items():
                figures[name].append(run())
    finally:
        _stop(folder / "engine")
        shutil.rmtree(folder, ignore_errors=True)
    rechecks = _session_rechecks(options.exercise, options.runs)
    numpy = statistics.median(figures["python -c 'import numpy'"])
    bytecode = "no bytecode" if base.get("PYTHONDONTWRITEBYTECODE") else "bytecode"
    print(f"{options.exercise}, {options.runs} runs each, alternating; medians ({bytecode})")
    rows = [
        *((name, times) for name, times in figures.items()),
        ("check, cold engine (started for it)", cold),
        ("Session.check again (notebook, watch)", rechecks),
    ]
    for name, times in rows:
        ratio = statistics.median(times) / numpy
        print(f"  {name:40} {_ms(times)}  {ratio:4.2f}x numpy")


if __name__ == "__main__":
    main()
