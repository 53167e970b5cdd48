"""How fast `bpgrade grade` grades a class, beside the cost of one bare `import numpy`.

Run from the repository root with bpgrade installed:
    python benchmarks/batch_speed.py [--students N] [--runs N] [--exercises 1-5] [--jobs 2]

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
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def numbers(text: str) -> set[int]:
    """Exercise numbers written as the issue does: `1-5`, `1,3,7-9`, or `all`."""
    if text == "all":
        return set(range(1, 100))
    chosen: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        chosen.update(range(int(first), int(last or first) + 1))
    return chosen


def exercise_number(path: Path) -> int:
    return int(path.name.removeprefix("exercise")[:2])


def build_class(folder: Path, students: int, chosen: set[int]) -> None:
    """Every third a correct submission, every third one with a corpus file, the rest stubs;
    only the chosen exercises' files are handed in (the others are graded as not found)."""
    solutions = [
        s for s in sorted((ROOT / "solutions").glob("exercise*.py")) if exercise_number(s) in chosen
    ]
    corpus = [
        c
        for c in sorted((ROOT / "tests" / "corpus").glob("exercise*/*.py"))
        if exercise_number(c.parent) in chosen
    ]
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


CPU_SECONDS: dict[str, list[float]] = {}  # per command: CPU seconds of each run, its tree's


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def wall_times(command: list[str], runs: int) -> list[float]:
    """Seconds each run took; the CPU seconds of the command and everything it started and
    waited for (workers, zygotes, children) go to CPU_SECONDS, which a busy machine changes
    far less than the wall clock."""
    times = []
    for _ in range(runs):
        start, cpu = time.perf_counter(), _children_cpu()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        CPU_SECONDS.setdefault(" ".join(command), []).append(_children_cpu() - cpu)
        if done.returncode != 0:
            sys.exit(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--exercises", default="1-5", help="which exercises each submission hands in: 1-5, all"
    )
    parser.add_argument(
        "--jobs", type=int, action="append", help="--jobs to measure (repeat it); 2 and 1"
    )
    arguments = parser.parse_args()
    chosen = numbers(arguments.exercises)
    jobs_measured = arguments.jobs or [2, 1]
    bpgrade = shutil.which("bpgrade") or sys.exit("bpgrade is not installed (pip install -e .)")
    students = arguments.students
    load = os.getloadavg()[0]  # what else the machine was doing before we started
    with tempfile.TemporaryDirectory(prefix="bpgrade-bench-") as scratch:
        submissions = Path(scratch) / "submissions"
        build_class(submissions, students, chosen)
        csv = str(Path(scratch) / "grades.csv")
        grade = [bpgrade, "grade", str(submissions), "-o", csv, "--force"]
        wall_times([sys.executable, "-c", "pass"], 2)  # warm the file cache
        numpy_time = statistics.median(
            wall_times([sys.executable, "-c", "import numpy"], 3 * arguments.runs)
        )
        medians = {
            jobs: statistics.median(wall_times([*grade, "--jobs", str(jobs)], arguments.runs))
            for jobs in jobs_measured
        }
    solutions = (ROOT / "solutions").glob("exercise*.py")
    handed_in = len([s for s in solutions if exercise_number(s) in chosen])
    print(
        f"{students} submissions of {handed_in} exercises ({arguments.exercises}), hidden cases on"
        f"; median of {arguments.runs} runs; as {'root' if os.geteuid() == 0 else 'a user'}"
        f"; {os.cpu_count()} CPUs, load average {load:.2f} before starting"
    )
    print(
        f"  {'':<34} {'wall s':>7} {'subs/s':>7} {'s/sub':>7} {'s/sub / numpy':>14}"
        f" {'CPU s/sub':>10}"
    )
    for jobs, seconds in medians.items():
        per = seconds / students
        cpu = statistics.median(CPU_SECONDS[" ".join([*grade, "--jobs", str(jobs)])]) / students
        print(
            f"  {f'bpgrade grade --jobs {jobs}':<34} {seconds:7.2f} {students / seconds:7.1f} "
            f"{per:7.3f} {per / numpy_time:13.2f}x {cpu:10.3f}"
        )
    label = 'python -c "import numpy"'
    print(f"  {label:<34} {numpy_time:7.3f}")
    naive = handed_in * numpy_time
    print(
        f"  a fresh interpreter and NumPy per exercise would cost {naive:.3f} s a submission "
        f"in imports alone, {students * naive:.1f} s for these {students}"
    )


if __name__ == "__main__":
    main()
