"""How fast `bpgrade grade` grades a class, beside the cost of one bare `import numpy`.

Run from the repository root with bpgrade installed:
    python benchmarks/batch_speed.py [--students N] [--runs N]

It builds a folder of N submissions (copies of the reference solutions, of buggy files from
tests/corpus/, and the stubs from exercises/), grades it with the real command, `--jobs 2`
and `--jobs 1`, `--force` so that every run grades everything, and reports the median run.
Each student also gets their own hidden cases (the default), so a submission is graded twice
over. Starting a fresh interpreter with NumPy for every check would cost one `import numpy`
per exercise: compare that with the seconds per submission.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build_class(folder: Path, students: int) -> None:
    """Every third a correct submission, every third one with a corpus file, the rest stubs."""
    solutions = sorted((ROOT / "solutions").glob("exercise*.py"))
    corpus = sorted((ROOT / "tests" / "corpus").glob("exercise*/*.py"))
    for number in range(students):
        student = folder / f"student{number:03d}"
        student.mkdir(parents=True)
        source = ROOT / ("exercises" if number % 3 == 2 else "solutions")
        for solution in solutions:
            shutil.copy(source / solution.name, student / solution.name)
        if number % 3 == 1:
            bug = corpus[number % len(corpus)]
            target = next(s.name for s in solutions if s.name.startswith(bug.parent.name))
            shutil.copy(bug, student / target)


def wall_times(command: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            sys.exit(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    bpgrade = shutil.which("bpgrade") or sys.exit("bpgrade is not installed (pip install -e .)")
    students = arguments.students
    load = os.getloadavg()[0]  # what else the machine was doing before we started
    with tempfile.TemporaryDirectory(prefix="bpgrade-bench-") as scratch:
        submissions = Path(scratch) / "submissions"
        build_class(submissions, students)
        csv = str(Path(scratch) / "grades.csv")
        grade = [bpgrade, "grade", str(submissions), "-o", csv, "--force"]
        wall_times([sys.executable, "-c", "pass"], 2)  # warm the file cache
        numpy_time = statistics.median(
            wall_times([sys.executable, "-c", "import numpy"], 3 * arguments.runs)
        )
        medians = {
            jobs: statistics.median(wall_times([*grade, "--jobs", str(jobs)], arguments.runs))
            for jobs in (2, 1)
        }
    print(
        f"{students} submissions of 5 exercises, hidden cases on; median of {arguments.runs} runs"
        f"; {os.cpu_count()} CPUs, load average {load:.2f} before starting"
    )
    print(f"  {'':<34} {'wall s':>7} {'subs/s':>7} {'s/sub':>7} {'s/sub / numpy':>14}")
    for jobs, seconds in medians.items():
        per = seconds / students
        print(
            f"  {f'bpgrade grade --jobs {jobs}':<34} {seconds:7.2f} {students / seconds:7.1f} "
            f"{per:7.3f} {per / numpy_time:13.2f}x"
        )
    label = 'python -c "import numpy"'
    print(f"  {label:<34} {numpy_time:7.3f}")
    naive = 5 * numpy_time
    print(
        f"  a fresh interpreter and NumPy per exercise would cost {naive:.3f} s a submission "
        f"in imports alone, {students * naive:.1f} s for these {students}"
    )


if __name__ == "__main__":
    main()
