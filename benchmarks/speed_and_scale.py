"""Issue 16's figures side by side, in one run: a cold check, a warm re-check, a class graded
with `--jobs 2`, a torch exercise's cost, and a large run extrapolated to a MOOC.

Run from the repository root with bpgrade installed (`pip install -e .`):

    python benchmarks/speed_and_scale.py                # the whole set (about 10 minutes)
    python benchmarks/speed_and_scale.py --quick        # smaller classes, for a first look
    python benchmarks/speed_and_scale.py --scale 0      # without the large run

Every command is the real one, in a fresh process, as a learner or an instructor starts it;
times are medians of alternating runs, and each is also given as a multiple of a bare
`python -c "import numpy"` measured in the same run, so that figures from a busy or a quiet
machine compare. Cold checks are also timed as a learner runs them: in a checkout of a release
(`bpgrade release`) midway and fresh, whose untouched stubs are graded without running them.
The grader's own modules are compiled to bytecode first, as an install by pip does (these
machines set PYTHONDONTWRITEBYTECODE, which would otherwise compile them on every start).
Batch runs grade as whoever runs this; as root each sandboxed child gets a uid of its own, as
a shared grading machine does.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NUMPY = [sys.executable, "-c", "import numpy"]
TORCH = [sys.executable, "-c", "import torch"]
COURSE_PARTS = ("exercises", "solutions", "specs", "drivers", "quizzes")
MOOC = 50_000  # submissions in the extrapolated regrade
MOOC_CORES = 16
MIDWAY = 5  # the exercises a learner's release midway has solved


@dataclass
class Figures:
    """What one run measured, printed as a table at the end."""

    numpy_seconds: float = 0.0
    rows: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, name: str, value: str, ratio: str = "") -> None:
        self.rows.append((name, value, ratio))
        print(f"  {name:<52} {value:>14} {ratio}", flush=True)

    def seconds(self, name: str, seconds: float) -> None:
        self.add(name, f"{seconds * 1000:9.1f} ms", f"{seconds / self.numpy_seconds:5.2f}x numpy")


def run(command: list[str], *, env: dict[str, str] | None = None, cwd: Path = ROOT) -> float:
    """Seconds `command` took, its output thrown away."""
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, capture_output=True)
    return time.perf_counter() - start


def alternating(commands: dict[str, Callable[[], float]], runs: int) -> dict[str, float]:
    """The median of each, run in turns so that a change in the machine's load hits all."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(command())
    return {name: statistics.median(values) for name, values in times.items()}


def trimmed_course(into: Path, last: int) -> Path:
    """A copy of the course whose catalog holds exercises 01..`last` only."""
    course = into / f"course-01-{last:02d}"
    for part in COURSE_PARTS:
        if (ROOT / part).is_dir():
            shutil.copytree(ROOT / part, course / part)
    catalog = course / "exercises" / "catalog.toml"
    text = catalog.read_text(encoding="utf-8")
    starts = [i for i in range(len(text)) if text.startswith("[[exercises]]\n", i)]
    if len(starts) > last:
        catalog.write_text(text[: starts[last]], encoding="utf-8")
    return course


def build_class(folder: Path, students: int, exercises: list[str]) -> None:
    """One sub-folder per student: every third correct, every third with one file from the
    corpus of learners' mistakes, every third still the stubs (the three kinds a course sees)."""
    corpus = sorted(
        path
        for name in exercises
        for path in (ROOT / "tests" / "corpus" / name.split("_")[0]).glob("*.py")
    )
    for number in range(students):
        student = folder / f"student{number:05d}"
        student.mkdir(parents=True)
        source = ROOT / ("exercises" if number % 3 == 2 else "solutions")
        for name in exercises:
            shutil.copy(source / name, student / name)
        if number % 3 == 1 and corpus:
            bug = corpus[number % len(corpus)]
            target = next(name for name in exercises if name.startswith(bug.parent.name))
            shutil.copy(bug, student / target)


def fresh_release(into: Path, bpgrade: str) -> Path:
    """The course as `bpgrade release` hands it out, nothing started: every exercise its stub
    (a minute or so: the release freezes its checks)."""
    release = into / "release-fresh"
    subprocess.run(
        [bpgrade, "release", "-o", str(release)], cwd=ROOT, capture_output=True, check=True
    )
    return release


def release_midway(release: Path, into: Path, solved: int) -> Path:
    """A learner's checkout of `release` midway: exercises 01..`solved` solved (the reference
    solutions), the rest still the untouched stubs, as most learners who run a check have."""
    checkout = into / f"release-midway-{solved:02d}"
    shutil.copytree(release, checkout, symlinks=True)
    for name in exercise_files(solved):
        shutil.copy(ROOT / "solutions" / name, checkout / "exercises" / name)
    return checkout


def exercise_files(last: int) -> list[str]:
    files = sorted(path.name for path in (ROOT / "solutions").glob("exercise*.py"))
    return [name for name in files if int(name[8:10]) <= last]


def grade_rate(
    bpgrade: str, scratch: Path, students: int, files: list[str], course: Path, runs: int
) -> tuple[float, float]:
    """Median seconds to grade `students` submissions with --jobs 2 (hidden cases on, as
    always by default), and the largest resident size of a run's processes in MiB."""
    submissions = scratch / f"class-{len(files)}-{students}"
    if not submissions.exists():
        build_class(submissions, students, files)
    env = {**os.environ, "BPGRADE_COURSE": str(course)}
    csv = scratch / "grades.csv"
    grade = [bpgrade, "grade", str(submissions), "-o", str(csv), "--force", "--jobs", "2"]
    measured = [_measured(grade, env) for _ in range(runs)]
    return statistics.median(m[0] for m in measured), max(m[1] for m in measured)


def _measured(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds `command` took and the largest resident size of its processes in MiB, each
    run in a process of its own so that earlier runs' processes do not count."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "seconds = time.perf_counter() - start\n"
        "if done.returncode not in (0, 1): sys.exit(done.stdout + done.stderr)\n"
        "print(seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *command], env=env, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr}")
    seconds, peak = done.stdout.split()
    return float(seconds), float(peak)


def cold_and_warm(figures: Figures, bpgrade: str, scratch: Path, runs: int) -> None:
    print("cold: a fresh `bpgrade` process per check (no engine running)", flush=True)
    cold_env = {**os.environ, "BPGRADE_ENGINE": "0"}
    solutions = ["--dir", "solutions"]
    numpy_only = [str(number) for number in range(1, 13) if number != 9]  # 09 is torch's
    # what a learner runs: a release's checkout, its own course (expected/, not solutions/)
    fresh = fresh_release(scratch, bpgrade)
    midway = release_midway(fresh, scratch, MIDWAY)
    everything = [bpgrade, "check", "--all"]
    medians = alternating(
        {
            "numpy": lambda: run(NUMPY),
            "midway": lambda: run(everything, env=cold_env, cwd=midway),
            "fresh": lambda: run(everything, env=cold_env, cwd=fresh),
            "all": lambda: run([bpgrade, "check", "--all", "--dir", "solutions"], env=cold_env),
            "numpy-only": lambda: run([bpgrade, "check", *numpy_only, *solutions], env=cold_env),
            "one": lambda: run([bpgrade, "check", "exercise03", *solutions], env=cold_env),
        },
        runs,
    )
    figures.numpy_seconds = medians["numpy"]
    figures.seconds('python -c "import numpy"', medians["numpy"])
    figures.seconds("cold check --all (twelve exercises)", medians["all"])
    figures.seconds("cold check of the eleven NumPy exercises", medians["numpy-only"])
    figures.seconds("cold check exercise03", medians["one"])
    figures.seconds(f"cold check --all, a release, 01-{MIDWAY:02d} solved", medians["midway"])
    figures.seconds("cold check --all, a release, nothing started", medians["fresh"])

    print("warm: the same check again, as `bpgrade watch` and a notebook repeat it", flush=True)
    again = [bpgrade, "check", "exercise03", "--dir", "solutions"]
    run(again)  # in-process, and starts the engine for the next
    _until_the_engine_answers()
    warm = statistics.median(run(again) for _ in range(runs))
    figures.seconds("warm re-check exercise03 (a new `bpgrade` process)", warm)
    session = statistics.median(_session_rechecks(runs))
    figures.seconds("warm re-check exercise03 (a Session, as a notebook)", session)


def _until_the_engine_answers(seconds: float = 60.0) -> None:
    """The engine a check started loads once that check has ended: wait for it to listen."""
    import socket

    from grader.engine import place

    path = place.socket_path(place.engine_dir())
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(path)
                return
            except OSError:
                time.sleep(0.05)
    print("  (no engine answered: the warm figure below is in-process)")


def _session_rechecks(runs: int) -> list[float]:
    """Seconds of each second-and-later `Session.check` in one process, as a notebook's."""
    script = (
        "import time; from grader.api import Session\n"
        "with Session() as s:\n"
        "    s.check('exercise03', folder='solutions')\n"
        f"    for _ in range({runs}):\n"
        "        t = time.perf_counter(); s.check('exercise03', folder='solutions')\n"
        "        print(time.perf_counter() - t)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return [float(line) for line in done.stdout.split()]


def batch(figures: Figures, bpgrade: str, scratch: Path, students: int, runs: int) -> None:
    print(f"batch: `bpgrade grade --jobs 2`, hidden cases on, {students} students", flush=True)
    for last in (5, 12):
        files = exercise_files(last)
        course = trimmed_course(scratch, last)
        seconds, _ = grade_rate(bpgrade, scratch, students, files, course, runs)
        figures.add(
            f"grade --jobs 2, exercises 01-{last:02d}",
            f"{students / seconds:8.1f} subs/s",
            f"{seconds / students * 1000:6.0f} ms a submission",
        )


def torch_cost(figures: Figures, bpgrade: str, scratch: Path, students: int, runs: int) -> None:
    print("torch: exercise09 alone", flush=True)
    import_torch = statistics.median(run(TORCH) for _ in range(max(1, runs // 2)))
    figures.seconds('python -c "import torch"', import_torch)
    name = next(name for name in exercise_files(12) if name.startswith("exercise09"))
    (scratch / "torch").mkdir()
    course = trimmed_course(scratch / "torch", 9)
    seconds, _ = grade_rate(bpgrade, scratch / "torch", students, [name], course, runs)
    figures.add(
        f"grade --jobs 2, exercise09 only, {students} students",
        f"{seconds / students * 1000:9.0f} ms/sub",
        f"{seconds:6.1f} s in all, torch imported once per worker",
    )


def scale(figures: Figures, bpgrade: str, scratch: Path, students: int) -> None:
    print(f"scale: {students} generated submissions of exercises 01-05, once", flush=True)
    files = exercise_files(5)
    (scratch / "scale").mkdir()
    course = trimmed_course(scratch / "scale", 5)
    seconds, peak = grade_rate(bpgrade, scratch / "scale", students, files, course, 1)
    rate = students / seconds
    cores = os.cpu_count() or 1
    # per-core throughput carried to a 16-core machine: batch grading is one independent
    # process per job, so it scales with cores until the disk or memory binds
    mooc_minutes = MOOC / (rate / min(cores, 2) * MOOC_CORES) / 60
    figures.add(f"grade {students} submissions, --jobs 2", f"{seconds:9.1f} s", f"{rate:.1f}/s")
    figures.add("largest process of that run (resident)", f"{peak:9.0f} MiB")
    figures.add(
        f"{MOOC:,} submissions on {MOOC_CORES} cores (extrapolated)",
        f"{mooc_minutes:9.1f} min",
        "goal: under 10",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small classes and few runs")
    parser.add_argument("--runs", type=int, default=None, help="runs per median")
    parser.add_argument("--students", type=int, default=None, help="students per batch run")
    parser.add_argument("--scale", type=int, default=1000, help="the large run (0: skip it)")
    arguments = parser.parse_args()
    runs = arguments.runs or (3 if arguments.quick else 7)
    students = arguments.students or (20 if arguments.quick else 60)
    bpgrade = shutil.which("bpgrade") or sys.exit("bpgrade is not installed (pip install -e .)")
    compileall.compile_dir(ROOT / "grader", quiet=1)
    print(
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} before starting, "
        f"{'as root' if os.geteuid() == 0 else 'not as root'}, the grader's bytecode compiled"
    )
    run([sys.executable, "-c", "pass"])  # the file cache, warm
    figures = Figures()
    with tempfile.TemporaryDirectory(prefix="bpgrade-bench-") as folder:
        scratch = Path(folder)
        cold_and_warm(figures, bpgrade, scratch, runs)
        batch(figures, bpgrade, scratch, students, max(1, runs // 3))
        torch_cost(figures, bpgrade, scratch, max(4, students // 5), 1)
        if arguments.scale:
            scale(figures, bpgrade, scratch, arguments.scale)
    print("\nside by side")
    for name, value, ratio in figures.rows:
        print(f"  {name:<52} {value:>14} {ratio}")


if __name__ == "__main__":
    main()
