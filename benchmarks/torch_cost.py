"""What a torch exercise (exercise09) costs a submission, beside `import torch` and `import numpy`.

Run from the repository root with bpgrade installed:
    python benchmarks/torch_cost.py [--students N] [--runs N]

Four figures, each the median of --runs runs, the commands alternating so that a busy machine
weighs on all of them alike:

- the imports: `python -c "import numpy"`, `python -c "import torch"`;
- a cold check: `bpgrade check exercise09 --dir solutions`, a fresh process as a learner runs it;
- a batch: `bpgrade grade --jobs 2 --force` over N copies of a submission holding only
  exercise09's file (hidden cases on, the default), and over N/5 of them: the difference over
  the difference in students is what one more submission costs, once both workers and both
  torch zygotes have paid their start;
- where one submission's time goes, in this process with one warm sandbox: the grader's own
  `import torch` and torch's first uses (once per process), then per submission the sandbox's
  run (the child, forked from the warm torch zygote) and judging (the reference through the
  drivers, and the numeric oracle within it).

The grader's modules run from source here when PYTHONDONTWRITEBYTECODE is set (no bytecode):
the line "bytecode" says which.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXERCISE = "exercise09"
FILE = "exercise09_pytorch.py"


def wall_time(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):  # 1: a check failed, which is still a grading
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return seconds


def build_class(folder: Path, students: int) -> None:
    for number in range(students):
        student = folder / f"student{number:03d}"
        student.mkdir(parents=True)
        shutil.copy(ROOT / "solutions" / FILE, student / FILE)


def alternating(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    """The median wall time of each command, run in turns rather than one after another."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(wall_time(command))
    return {name: statistics.median(seconds) for name, seconds in times.items()}


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def breakdown(students: int) -> dict[str, float]:
    """Seconds of each stage, in this process: once per process, then per submission."""
    from grader.catalog import load_catalog
    from grader.checks import base
    from grader.grading import judge_exercise, plan_exercise
    from grader.sandbox import Sandbox
    from grader.torch_warmup import first_uses

    figures = {"grader: import torch": timed(lambda: __import__("torch"))}
    figures["grader: torch's first uses"] = timed(first_uses)
    import torch

    torch.set_num_threads(1)  # as grading judges a torch exercise (grader.grading)
    entry = load_catalog(ROOT / "exercises" / "catalog.toml").find(EXERCISE)
    assert entry is not None
    solutions = ROOT / "solutions"
    numeric = [0.0]
    computing = base.cached_numeric

    def counted(*args: object, **kwargs: object) -> object:
        start = time.perf_counter()
        try:
            return computing(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            numeric[0] += time.perf_counter() - start

    base.cached_numeric = counted  # type: ignore[assignment]
    runs, judged = [], []
    try:
        with Sandbox() as sandbox:
            start = time.perf_counter()
            sandbox.start_early("torch")
            workspace = sandbox.workspace(solutions)
            for number in range(students + 1):
                plan = plan_exercise(entry, 0, f"student{number:03d}", solutions)
                path = workspace / FILE
                run = time.perf_counter()
                outcome = sandbox.run(path, plan.calls, plan.hidden_calls, entry)
                ran = time.perf_counter()
                judge_exercise(plan, outcome, solutions)
                if number == 0:  # the torch zygote's start and the first judging
                    figures["sandbox: torch zygote start + first run"] = ran - start
                    numeric[0] = 0.0
                    continue
                runs.append(ran - run)
                judged.append(time.perf_counter() - ran)
    finally:
        base.cached_numeric = computing
    figures["per submission: the child's run"] = statistics.median(runs)
    figures["per submission: judging"] = statistics.median(judged)
    figures["per submission: of which numeric oracle"] = numeric[0] / students
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    bpgrade = shutil.which("bpgrade") or sys.exit("bpgrade is not installed (pip install -e .)")
    students, few = arguments.students, max(2, arguments.students // 5)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bpgrade-torch-") as scratch:
        classes = {n: Path(scratch) / f"class{n}" for n in (students, few)}
        for count, folder in classes.items():
            build_class(folder, count)

        def grade(count: int) -> list[str]:
            csv = str(Path(scratch) / f"grades{count}.csv")
            return [bpgrade, "grade", str(classes[count]), "-o", csv, "--force", "--jobs", "2"]

        commands = {
            'python -c "import numpy"': [sys.executable, "-c", "import numpy"],
            'python -c "import torch"': [sys.executable, "-c", "import torch"],
            f"bpgrade check {EXERCISE} --dir solutions": [
                bpgrade, "check", EXERCISE, "--dir", "solutions"
            ],
            f"bpgrade grade --jobs 2, {students} students": grade(students),
            f"bpgrade grade --jobs 2, {few} students": grade(few),
        }
        wall_time([sys.executable, "-c", "pass"])  # warm the file cache
        medians = alternating(commands, arguments.runs)
    numpy_time = medians['python -c "import numpy"']
    bytecode = "no (PYTHONDONTWRITEBYTECODE)" if sys.dont_write_bytecode else "yes"
    print(
        f"{EXERCISE}, hidden cases on; median of {arguments.runs} alternating runs; "
        f"{os.cpu_count()} CPUs, load average {load:.2f} before starting; bytecode: {bytecode}"
    )
    for name, seconds in medians.items():
        print(f"  {name:<44} {seconds:7.2f} s  {seconds / numpy_time:6.1f}x numpy import")
    whole, part = medians[f"bpgrade grade --jobs 2, {students} students"], medians[
        f"bpgrade grade --jobs 2, {few} students"
    ]
    marginal = (whole - part) / (students - few)
    print(f"  {'batch: seconds per submission, all in':<44} {whole / students:7.3f} s")
    print(
        f"  {'batch: one more submission (marginal)':<44} {marginal:7.3f} s  "
        f"{1 / marginal if marginal > 0 else float('inf'):6.1f} submissions/s"
    )
    print("where the time goes (this process, one warm sandbox; median per submission):")
    for name, seconds in breakdown(students).items():
        print(f"  {name:<44} {seconds * 1000:7.0f} ms")


if __name__ == "__main__":
    main()
