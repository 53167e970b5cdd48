"""`bpgrade grade`: a class of a hundred submissions, hostile ones mixed in, graded two at a
time through the real command; each student gets the grade their submission gets alone."""

from __future__ import annotations

import csv
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader import batch, files
from grader.batch import grading_worker, orchestration, store
from grader.batch.progress import BatchProgress
from grader.catalog import Catalog, ExerciseEntry
from grader.gradebook import Gradebook
from grader.grading import DEFAULT_SEED
from grader.report import Report
from grader.sandbox import Limits, Sandbox, is_root
from grader.submission import grade_located

from .conftest import EXERCISES, SOLUTIONS, course_total

CORPUS = Path(__file__).parent / "corpus"
ROOT = os.geteuid() == 0
TIMEOUT = 2.0  # seconds per exercise: the infinite loop runs this long

# -- hostile files: each replaces one exercise of an otherwise correct submission -------------

LOOP = "while True:\n    pass\n"
EXIT_AT_IMPORT = "import os\n\nos._exit(0)\n"
MEMORY_HOG = "hog = bytearray(8 << 30)\n"
SYNTAX_ERROR = "def sigmoid(Z)\n    return Z\n"
FLOOD = (
    "import sys\n"
    "for _ in range(20000):\n"
    "    print('flood ' * 170)\n"
    "sys.stderr.write('x' * (8 << 20))\n"
)
_PARENT = """\
import os
import signal
import time


def _parent(pid):
    try:
        with open(f"/proc/{pid}/stat") as file:
            return int(file.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


"""
# Kills every other learner process of the same batch (four generations up, the batch
# itself, is its own) for a while: the exercises graded beside it die. Then it is correct.
KILL_NEIGHBOURS = (
    _PARENT
    + """\
me = os.getpid()
def _top(pid):  # child, supervisor, zygote, worker: the batch itself
    return _parent(_parent(_parent(_parent(pid))))
top = _top(me)
until = time.monotonic() + 0.8
while top > 1 and time.monotonic() < until:
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != me and _top(int(name)) == top:
            try:
                os.kill(int(name), signal.SIGKILL)
            except OSError:
                pass
    time.sleep(0.005)
"""
)
# Kills the grading worker (three generations up) when it can: when the grader is not root.
KILL_WORKER = (
    _PARENT
    + """\
worker = _parent(_parent(os.getppid()))  # the supervisor's parent is the zygote, then the worker
try:
    with open(f"/proc/{worker}/cmdline", "rb") as file:
        if b"grader.batch" in file.read():
            os.kill(worker, signal.SIGKILL)
except OSError:
    pass
"""
)


@dataclass(frozen=True)
class Student:
    id: str
    kind: str  # correct, buggy, stub, hostile
    layout: str = "top"  # or "exercises": the files in an exercises/ sub-folder


def _entry(catalog: Catalog, exercise: str) -> ExerciseEntry:
    entry = catalog.find(exercise)
    assert entry is not None
    return entry


def _write(folder: Path, layout: str, files: dict[str, str]) -> None:
    target = folder / "exercises" if layout == "exercises" else folder
    target.mkdir(parents=True)
    for name, text in files.items():
        (target / name).write_text(text)


def _solutions(catalog: Catalog) -> dict[str, str]:
    return {e.file: (SOLUTIONS / e.file).read_text() for e in catalog.exercises}


def make_class(catalog: Catalog, root: Path) -> list[Student]:
    """100 students: correct, buggy (from the corpus), stubs and hostile ones, shuffled."""
    solutions = _solutions(catalog)
    stubs = {e.file: (EXERCISES / e.file).read_text() for e in catalog.exercises}
    corpus = sorted(CORPUS.glob("exercise*/*.py"))
    hostile = {
        "loop": ("exercise02", LOOP),
        "exit": ("exercise01", EXIT_AT_IMPORT),
        "memory": ("exercise03", MEMORY_HOG),
        "syntax": ("exercise04", SYNTAX_ERROR),
        "flood": ("exercise05", FLOOD + solutions[_entry(catalog, "exercise05").file]),
        "killer": ("exercise01", KILL_NEIGHBOURS + solutions[_entry(catalog, "exercise01").file]),
        "kill-worker": ("exercise03", KILL_WORKER + solutions[_entry(catalog, "exercise03").file]),
    }
    roles = ["correct"] * 45 + ["buggy"] * 36 + ["stub"] * 6 + ["partial"] * 6 + list(hostile)
    random.Random(4).shuffle(roles)
    students = []
    for number, role in enumerate(roles):
        student = f"s{number:03d}" + (f".{role}" if role in hostile else "")
        layout = "exercises" if number % 4 == 1 else "top"
        files = dict(solutions)
        if role == "buggy":
            bug = corpus[number % len(corpus)]
            files[_entry(catalog, bug.parent.name).file] = bug.read_text()
        elif role == "stub":
            files = dict(stubs)
        elif role == "partial":
            files = {**stubs, **dict(list(solutions.items())[: number % 4 + 1])}
        elif role in hostile:
            exercise, text = hostile[role]
            files[_entry(catalog, exercise).file] = text
        _write(root / student, layout, files)
        kind = role if role in ("correct", "buggy") else "stub" if role == "partial" else role
        students.append(Student(student, kind if role not in hostile else "hostile", layout))
    assert len(students) == 100
    return students


def bpgrade_grade(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "grader", "grade", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=900,  # a guard against a hang, not a measure: a busy 2-core machine is slow
    )


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="") as file:
        return list(csv.reader(file))


def alone(catalog: Catalog, folder: Path, student: str, sandbox: Sandbox) -> Report:
    """What the submission gets graded on its own, with the batch's settings."""
    entries = list(catalog.exercises)
    return grade_located(entries, folder, SOLUTIONS, sandbox=sandbox, student=student).graded


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(Limits(timeout=TIMEOUT)) as sandbox:
        yield sandbox


@dataclass
class Run:
    submissions: Path
    csv: Path
    students: list[Student]
    process: subprocess.CompletedProcess[str]
    seconds: float

    @property
    def reports(self) -> Path:
        return self.csv.with_name("grades-reports")

    def report(self, student: str) -> Report:
        return Report.model_validate_json((self.reports / f"{student}.json").read_text())

    def rows(self) -> dict[str, dict[str, str]]:
        with open(self.csv, newline="") as file:
            return {row["student"]: row for row in csv.DictReader(file)}


@pytest.fixture(scope="module")
def graded(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Run:
    base = tmp_path_factory.mktemp("batch")
    students = make_class(catalog, base / "submissions")
    output = base / "out" / "grades.csv"
    start = time.perf_counter()
    process = bpgrade_grade(
        base / "submissions", "-o", output, "--jobs", "2", "--timeout", str(TIMEOUT)
    )
    return Run(base / "submissions", output, students, process, time.perf_counter() - start)


def test_the_class_is_graded_with_a_summary(graded: Run) -> None:
    assert graded.process.returncode == (0 if ROOT else 1), graded.process.stderr
    # not as root, the submission that kills its worker is not graded: an error
    summary = "Graded 100, skipped 0, errors 0" if ROOT else "Graded 99, skipped 0, errors 1"
    assert summary in graded.process.stdout
    assert f"Grades in {graded.csv}" in graded.process.stdout
    assert "Grading" in graded.process.stderr  # the progress bar, on stderr
    # the flood's prints stay in its report (its name may show in the progress bar)
    assert "flood flood" not in graded.process.stdout + graded.process.stderr


def test_the_csv_has_a_row_per_student_and_a_column_per_exercise(
    graded: Run, catalog: Catalog
) -> None:
    rows = read_csv(graded.csv)
    names = [e.name for e in catalog.exercises]
    assert rows[0] == ["student", *names, "total", "status", "note"]
    assert [row[0] for row in rows[1:]] == sorted(s.id for s in graded.students)
    for row in graded.rows().values():
        assert float(row["total"]) == pytest.approx(sum(float(row[name]) for name in names))


def test_one_report_per_student_beside_the_csv(graded: Run) -> None:
    ids = {s.id for s in graded.students}
    assert {p.stem for p in graded.reports.glob("*.json")} == ids
    assert {p.stem for p in graded.reports.glob("*.md")} == ids
    assert {p.stem for p in graded.reports.glob("*.sha256")} == ids
    assert not list(graded.reports.glob(".*"))  # no temporary file left behind
    for student in ("s000", "s050"):
        report = graded.report(next(s.id for s in graded.students if s.id.startswith(student)))
        assert report.student is not None and report.student.startswith(student)
        assert any(c.hidden for e in report.exercises for c in e.checks)  # their own cases


def test_correct_submissions_among_hostile_ones_get_full_marks(
    graded: Run, catalog: Catalog
) -> None:
    full = course_total(catalog)
    rows = graded.rows()
    correct = [s.id for s in graded.students if s.kind == "correct"]
    assert len(correct) == 45
    assert {student: float(rows[student]["total"]) for student in correct} == dict.fromkeys(
        correct, full
    )


def test_each_grade_is_the_grade_the_submission_gets_alone(
    graded: Run, catalog: Catalog, sandbox: Sandbox
) -> None:
    rows = graded.rows()
    hostile = [s for s in graded.students if s.kind == "hostile"]
    # the submissions graded beside the killer that it killed were graded again on their own
    confirmed = [
        s for s in graded.students if batch.ALONE in graded.report(s.id).notes and s not in hostile
    ]
    if is_root():  # each sandbox in namespaces of its own, with a uid of its own
        assert confirmed == []  # the killer reached no classmate
    else:  # all learner code runs as the grader's user
        assert confirmed  # the killer did kill some, and it did not count
    others = [s for s in graded.students if s.kind in ("buggy", "stub")][::8]
    sample = hostile + confirmed + others + [s for s in graded.students if s.layout != "top"][:2]
    for student in sample:
        if not ROOT and student.id.endswith("kill-worker"):
            report = graded.report(student.id)
            assert report.error is not None and "died each time" in report.error
            assert float(rows[student.id]["total"]) == 0
            assert rows[student.id]["status"] == "not graded"
            continue
        expected = alone(catalog, graded.submissions / student.id, student.id, sandbox)
        report = graded.report(student.id)
        assert [(e.name, e.status, e.score) for e in report.exercises] == [
            (e.name, e.status, e.score) for e in expected.exercises
        ], student.id
        assert float(rows[student.id]["total"]) == pytest.approx(expected.score), student.id


def test_hostile_submissions_get_their_own_errors(graded: Run) -> None:
    def status(student: str, exercise: str) -> tuple[str, str]:
        report = graded.report(next(s.id for s in graded.students if s.id.endswith(student)))
        found = next(e for e in report.exercises if e.name == exercise)
        return found.status, found.error or ""

    assert status(".loop", "exercise02")[0] == "error"
    assert "time" in status(".loop", "exercise02")[1]
    assert status(".exit", "exercise01")[0] == "error"
    assert "memory" in status(".memory", "exercise03")[1]
    assert status(".syntax", "exercise04")[0] == "error"
    assert status(".flood", "exercise05")[0] == "passed"
    assert status(".killer", "exercise01")[0] == "passed"


def test_a_second_run_skips_everything(graded: Run) -> None:
    before = graded.csv.read_bytes()
    again = bpgrade_grade(
        graded.submissions, "-o", graded.csv, "--jobs", "2", "--timeout", str(TIMEOUT)
    )
    assert "Graded 0, skipped 100" in again.stdout
    assert graded.csv.read_bytes() == before


# -- a small class, for what changes between runs ------------------------------------------------


@pytest.fixture
def small(catalog: Catalog, tmp_path: Path) -> Path:
    submissions = tmp_path / "submissions"
    solutions = _solutions(catalog)
    for student in ("ann", "ben"):
        _write(submissions / student, "top", solutions)
    _write(
        submissions / "cy", "exercises", {"exercise03_linear.py": solutions["exercise03_linear.py"]}
    )
    return submissions


def _small_totals(catalog: Catalog) -> dict[str, float]:
    """What the small class earns: ann and ben every exercise, cy exercise03 alone."""
    full = course_total(catalog)
    return {"ann": full, "ben": full, "cy": _entry(catalog, "exercise03").max_score}


def _graded(csv_path: Path) -> dict[str, float]:
    """The students with a grade, and their totals."""
    with open(csv_path, newline="") as file:
        return {row["student"]: float(row["total"]) for row in csv.DictReader(file) if row["total"]}


def test_force_and_changes_grade_again(small: Path, catalog: Catalog) -> None:
    output = small / "grades.csv"  # its reports folder, beside it, is not a student
    first = bpgrade_grade(small, "-o", output, "--jobs", "2")
    assert first.returncode == 0, first.stderr
    assert "Graded 3, skipped 0" in first.stdout
    totals = _small_totals(catalog)
    assert _graded(output) == totals
    # cy lacks every file but one, graded beside ann and ben: not graded again on its own for them
    cy = Report.model_validate_json((small / "grades-reports" / "cy.json").read_text())
    assert batch.ALONE not in cy.notes

    # a changed file, and a new student: only they are graded
    (small / "ben" / "exercise01_chain_rule.py").write_text(
        (EXERCISES / "exercise01_chain_rule.py").read_text()
    )
    shutil.copytree(small / "ann", small / "dee")
    second = bpgrade_grade(small, "-o", output, "--jobs", "2")
    assert "Graded 2, skipped 2, errors 0, rejected folders 0" in second.stdout
    ben = totals["ben"] - _entry(catalog, "exercise01").max_score  # exercise01 not started
    assert _graded(output) == {**totals, "ben": ben, "dee": totals["ann"]}

    forced = bpgrade_grade(small, "-o", output, "--jobs", "2", "--force")
    assert "Graded 4, skipped 0" in forced.stdout
    # other settings are other grades: everyone again
    seeded = bpgrade_grade(small, "-o", output, "--jobs", "1", "--seed", "3", "--no-hidden")
    assert "Graded 4, skipped 0" in seeded.stdout
    report = Report.model_validate_json((small / "grades-reports" / "ann.json").read_text())
    assert report.student == "ann"
    assert not any(c.hidden for e in report.exercises for c in e.checks)


def test_an_interrupted_run_leaves_a_valid_csv_and_goes_on_later(
    small: Path, catalog: Catalog, tmp_path: Path
) -> None:
    output = tmp_path / "grades.csv"

    def interrupt(progress: BatchProgress) -> None:
        raise KeyboardInterrupt  # Ctrl-C after the first student

    with pytest.raises(batch.Interrupted) as stopped:
        batch.grade_batch(small, output, batch.BatchOptions(jobs=2), interrupt)
    done = _graded(output)
    assert len(done) == 1
    assert stopped.value.result.graded == list(done) and stopped.value.total == 3
    assert sorted(p.stem for p in (tmp_path / "grades-reports").glob("*.json")) == list(done)
    later = batch.grade_batch(small, output, batch.BatchOptions(jobs=2))
    assert later.skipped == list(done) and len(later.graded) == 2
    assert _graded(output) == _small_totals(catalog)


def _rows(path: Path, key: str = "student") -> dict[str, dict[str, str]]:
    with open(path, newline="") as file:
        return {row[key]: row for row in csv.DictReader(file)}


def test_a_forced_run_stopped_keeps_every_student_and_the_resume_finishes_it(
    small: Path, tmp_path: Path
) -> None:
    """Ctrl-C while --force re-grades: no student drops out of the gradebook or the notes
    (the ones not re-graded yet say so), the count saved is true, and the same command
    without --force grades what --force had not reached, not the reports from before."""
    output = tmp_path / "grades.csv"
    book = Gradebook("canvas")
    batch.grade_batch(small, output, batch.BatchOptions(jobs=2, gradebook=book))
    assert sorted(p.stem for p in (tmp_path / "grades-reports").glob("*.sha256")) == [
        "ann",
        "ben",
        "cy",
    ]

    def interrupt(progress: BatchProgress) -> None:
        raise KeyboardInterrupt  # Ctrl-C after the first student

    forced = batch.BatchOptions(jobs=1, force=True, gradebook=book)
    with pytest.raises(batch.Interrupted) as stopped:
        batch.grade_batch(small, output, forced, interrupt)
    first = stopped.value.result.graded
    assert len(first) == 1 and stopped.value.saved == first and stopped.value.total == 3
    rows = _rows(output, "SIS Login ID")
    assert set(rows) == {"", "ann", "ben", "cy"}  # every student stays ("": Points Possible)
    del rows[""]
    assert {name: rows[name]["bpgrade"] for name in rows if name not in first} == dict.fromkeys(
        {"ann", "ben", "cy"} - set(first), ""
    )
    notes = _rows(output.with_name("grades-notes.csv"), "folder")
    assert set(notes) == {"ann", "ben", "cy"}
    assert {notes[name]["status"] for name in notes if name not in first} == {"not graded yet"}

    resumed = batch.grade_batch(small, output, batch.BatchOptions(jobs=2, gradebook=book))
    assert resumed.skipped == first and sorted(resumed.graded) == sorted(
        {"ann", "ben", "cy"} - set(first)
    )
    notes = _rows(output.with_name("grades-notes.csv"), "folder")
    assert {row["status"] for row in notes.values()} == {"graded"}


def test_a_stop_just_after_a_digest_is_written_keeps_that_grade(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C as the first student's digest lands (its folder synced, say): that student is
    saved, so the gradebook has their grade, the count says so, and a run again skips them."""
    output = tmp_path / "grades.csv"
    write = store.write
    stops = [KeyboardInterrupt]  # one Ctrl-C: the command ignores more while it saves

    def stop_after_a_digest(path: Path, text: str, **options: bool) -> None:
        write(path, text, **options)
        if path.suffix == ".sha256" and stops:
            raise stops.pop()

    monkeypatch.setattr(store, "write", stop_after_a_digest)
    monkeypatch.setattr(store, "GROUP_SECONDS", 0.0)  # each report's digest at once
    with pytest.raises(batch.Interrupted) as stopped:
        batch.grade_batch(small, output, batch.BatchOptions(jobs=1))
    monkeypatch.undo()
    saved = stopped.value.saved
    assert len(saved) == 1 and stopped.value.result.graded == saved
    assert set(_graded(output)) == set(saved)
    assert {row["status"] for name, row in _rows(output).items() if name not in saved} == {
        "not graded yet"
    }
    later = batch.grade_batch(small, output, batch.BatchOptions(jobs=2))
    assert later.skipped == saved and len(later.graded) == 2


def test_folders_that_are_not_student_ids_are_rejected(small: Path, tmp_path: Path) -> None:
    for name in ("bad name", "-rf", "x..y", "new\nline", "é", "ANN"):
        (small / name).mkdir()
        shutil.copy(SOLUTIONS / "exercise01_chain_rule.py", small / name)
    (small / ".git").mkdir()  # hidden: not a student
    (small / "notes.txt").write_text("not a student either")
    (small / "linked").symlink_to(small / "ann")
    output = tmp_path / "grades.csv"
    result = bpgrade_grade(small, "-o", output, "--jobs", "2")
    assert result.returncode == 1
    # ANN and ann would share a report file where letter case does not count: neither is taken
    assert "Graded 2, skipped 0, errors 0, rejected folders 9" in result.stdout
    assert "'bad name'" in result.stderr and "'new\\nline'" in result.stderr
    assert "same id as" in result.stderr and "symbolic link" in result.stderr
    assert "'notes.txt': a file, not a folder" in result.stderr
    assert set(_graded(output)) == {"ben", "cy"}
    # yet every folder has its row in the gradebook, with why
    with open(output, newline="") as file:
        rows = {row["student"]: row for row in csv.DictReader(file)}
    rejected = {"bad name", "-rf", "x..y", "new\\nline", "é", "ANN", "ann", "linked", "notes.txt"}
    assert set(rows) == {"ben", "cy", *rejected}
    assert {rows[name]["status"] for name in rejected} == {"rejected"}
    assert rows["ANN"]["note"] == "the same id as ann but for letter case"
    reports = tmp_path / "grades-reports"
    assert sorted(p.name for p in reports.iterdir()) == sorted(
        f"{s}.{x}" for s in ("ben", "cy") for x in ("json", "md", "sha256")
    )


def test_one_submission_or_an_empty_folder_is_bad_usage(tmp_path: Path) -> None:
    one = bpgrade_grade(SOLUTIONS, "-o", tmp_path / "grades.csv")
    assert one.returncode == 2
    assert "looks like one submission" in one.stderr
    (tmp_path / "empty").mkdir()
    empty = bpgrade_grade(tmp_path / "empty", "-o", tmp_path / "grades.csv")
    assert empty.returncode == 2
    assert "no student folders" in empty.stderr


# -- the worker pool, with stand-in work ------------------------------------------------------


def _setup(config: str) -> str:
    return config


def _work(state: str, task: tuple[str, str]) -> str:
    kind, value = task
    if kind == "die":
        os._exit(3)
    if kind == "die-once":
        marker = Path(value)
        if not marker.exists():
            marker.write_text("died here once")
            os._exit(4)
    if kind == "raise":
        raise ValueError("a grader bug")
    return f"{state}:{value}"


def test_a_dead_worker_is_replaced_and_its_task_tried_once_more(tmp_path: Path) -> None:
    tasks = [
        ("ok", "a"),
        ("die", ""),
        ("die-once", str(tmp_path / "m")),
        ("raise", ""),
        ("ok", "b"),
    ]
    pool = batch.WorkerPool(2, _setup, _work, "state")
    outcomes = dict(pool.run(tasks))
    assert outcomes[("ok", "a")] == "state:a"
    assert outcomes[("ok", "b")] == "state:b"
    assert outcomes[("die", "")] == batch.Broken([3, 3])
    assert outcomes[("die-once", str(tmp_path / "m"))] == "state:" + str(tmp_path / "m")
    failed = outcomes[("raise", "")]
    assert isinstance(failed, batch.Failed) and "ValueError: a grader bug" in failed.error


def test_a_worker_that_cannot_start_stops_the_batch() -> None:
    pool = batch.WorkerPool(2, _no_setup, _work, "state")
    with pytest.raises(batch.BatchError, match="could not start: RuntimeError: no sandbox"):
        list(pool.run([("ok", "a")]))


def _no_setup(config: str) -> str:
    raise RuntimeError("no sandbox")


def test_a_submission_that_kills_its_worker_twice_scores_zero_and_says_why(
    catalog: Catalog, tmp_path: Path
) -> None:
    entries = list(catalog.exercises)
    submission = batch.Submission("zed", tmp_path, "key")
    report = orchestration._report_of(batch.Broken([-9, -9]), submission, entries)
    assert report.score == 0 and report.max_score == sum(e.max_score for e in entries)
    assert report.error is not None and "killed by SIGKILL, killed by SIGKILL" in report.error
    assert report.student == "zed" and not report.all_passed
    gradebook = Gradebook().text(entries, batch.outcomes({"zed": report}, []))
    row = next(csv.reader(gradebook.splitlines()[1:]))
    # the student, a 0 for each exercise and in total, the status and why
    assert row == ["zed", *["0"] * len(entries), "0", "not graded", report.error]


# -- who may read what the batch writes ----------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _modes(output: Path) -> dict[str, int]:
    """The mode of the CSV, its folder, the reports folder and each report and digest."""
    reports = output.with_name("grades-reports")
    modes = {"csv": _mode(output), "folder": _mode(output.parent), "reports": _mode(reports)}
    modes.update({path.name: _mode(path) for path in reports.iterdir()})
    return modes


def _record_renames(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the mode of each file the batch renames into place, as it is renamed."""
    seen: list[int] = []
    replace = os.replace

    def spy(source: str | Path, target: str | Path) -> None:
        seen.append(_mode(Path(source)))
        replace(source, target)

    monkeypatch.setattr(files.os, "replace", spy)  # the one atomic writer
    return seen


@pytest.mark.skipif(not ROOT, reason="as root only: then what the batch writes is root's alone")
def test_as_root_the_gradebook_and_reports_are_root_only(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "out" / "grades.csv"  # its folder too is made by the batch
    renamed = _record_renames(monkeypatch)
    result = batch.grade_batch(small, output, batch.BatchOptions(jobs=2))
    assert sorted(result.graded) == ["ann", "ben", "cy"]
    private = {f"{s}.{x}": 0o600 for s in ("ann", "ben", "cy") for x in ("json", "md", "sha256")}
    assert _modes(output) == {"csv": 0o600, "folder": 0o700, "reports": 0o700, **private}
    assert renamed and set(renamed) == {0o600}  # never wider, not even before the rename

    # a gradebook an earlier run left readable is closed, though nothing is graded again
    reports = output.with_name("grades-reports")
    reports.chmod(0o755)
    (reports / "ann.json").chmod(0o644)
    output.chmod(0o644)
    again = batch.grade_batch(small, output, batch.BatchOptions(jobs=2))
    assert again.skipped == ["ann", "ben", "cy"] and not again.graded
    assert _modes(output) == {"csv": 0o600, "folder": 0o700, "reports": 0o700, **private}


def test_not_as_root_the_files_keep_the_instructors_modes(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "private", lambda: False)
    output = tmp_path / "out" / "grades.csv"
    old = os.umask(0o022)
    try:
        result = batch.grade_batch(small, output, batch.BatchOptions(jobs=2))
    finally:
        os.umask(old)
    assert sorted(result.graded) == ["ann", "ben", "cy"]
    shared = {f"{s}.{x}": 0o644 for s in ("ann", "ben", "cy") for x in ("json", "md", "sha256")}
    assert _modes(output) == {"csv": 0o644, "folder": 0o755, "reports": 0o755, **shared}


# -- Ctrl-C, and what is graded twice --------------------------------------------------------------

SLOW_IMPORT = "import time\n\ntime.sleep(1.5)\n"


def test_ctrl_c_exits_130_says_how_to_resume_and_resuming_works(
    catalog: Catalog, tmp_path: Path
) -> None:
    """SIGINT to the process group, as a terminal's Ctrl-C, once a first student is saved."""
    submissions = tmp_path / "submissions"
    solutions = _solutions(catalog)
    first = _entry(catalog, "exercise01").file
    students = [f"st{n}" for n in range(5)]
    for student in students:  # each takes 1.5 s more, so the batch is still busy
        _write(submissions / student, "top", {**solutions, first: SLOW_IMPORT + solutions[first]})
    output = tmp_path / "out" / "grades.csv"
    args = [str(submissions), "-o", str(output), "--jobs", "1", "--force"]
    with open(tmp_path / "stdout", "w") as out, open(tmp_path / "stderr", "w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "grader", "grade", *args],
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        try:
            reports = output.with_name("grades-reports")
            deadline = time.monotonic() + 240
            while not list(reports.glob("*.sha256")) and process.poll() is None:
                assert time.monotonic() < deadline, "no student was graded"
                time.sleep(0.05)
            os.killpg(process.pid, signal.SIGINT)
            code = process.wait(timeout=120)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
    stderr = (tmp_path / "stderr").read_text()
    assert code == 130, stderr
    assert "Traceback" not in stderr
    saved = sorted(p.stem for p in reports.glob("*.sha256"))
    assert 1 <= len(saved) < len(students)
    assert f"Interrupted (Ctrl-C): {len(saved)} of {len(students)} submissions" in stderr
    assert "run the same command again" in stderr
    again = stderr.strip().splitlines()[-1].split()
    assert again[-len(args) + 1 :] == args[:-1]  # the same command, less --force
    full = course_total(catalog)
    assert _graded(output) == dict.fromkeys(saved, full)  # a valid gradebook of what was saved

    resumed = bpgrade_grade(*args[:-1])
    assert resumed.returncode == 0, resumed.stderr
    left = len(students) - len(saved)
    assert f"Graded {left}, skipped {len(saved)}, errors 0" in resumed.stdout
    assert _graded(output) == dict.fromkeys(students, full)


def _worker(catalog: Catalog, sandbox: Sandbox) -> grading_worker.Grader:
    """A grading worker's state, as `grading_worker.setup` makes it, on the tests' sandbox."""
    config = grading_worker.Config(
        EXERCISES / "catalog.toml", SOLUTIONS, DEFAULT_SEED, True, Limits(timeout=TIMEOUT)
    )
    return grading_worker.Grader(config, list(catalog.exercises), sandbox)


def test_a_missing_file_is_no_error_to_confirm(
    catalog: Catalog, tmp_path: Path, sandbox: Sandbox
) -> None:
    """Its exercise was graded without running any code: alone, it gets the same. The
    worker says which those are; the batch does not look at the folder again."""
    _write(tmp_path / "cy", "exercises", {"exercise03_linear.py": "syntax error here\n"})
    submission = batch.Submission("cy", tmp_path / "cy", "key")
    graded = grading_worker.grade(_worker(catalog, sandbox), submission)
    report = orchestration._report_of(graded, submission, list(catalog.exercises))
    not_run = orchestration._not_run(graded)
    assert not_run == {e.name for e in catalog.exercises} - {"exercise03"}
    by_name = {e.name: e for e in report.exercises}
    assert by_name["exercise01"].status == by_name["exercise03"].status == "error"
    assert orchestration._suspect(report, not_run)  # exercise03's code ran, and failed
    by_name["exercise03"].status, by_name["exercise03"].error = "passed", None
    assert not orchestration._suspect(report, not_run)  # only files that are not there
    assert orchestration._not_run(batch.Broken([-9])) == frozenset()


def test_a_file_that_appears_while_grading_ran_and_is_confirmed(
    catalog: Catalog, tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Missing when the worker looked, there when the submission was graded: its code ran,
    so its error may be a neighbour's doing."""
    _write(tmp_path / "cy", "top", {})
    submission = batch.Submission("cy", tmp_path / "cy", "key")
    locate = grading_worker.locate

    def then_a_file_appears(folder: Path, entries: list[ExerciseEntry]) -> object:
        layout = locate(folder, entries)
        (folder / _entry(catalog, "exercise01").file).write_text("syntax error here\n")
        return layout

    monkeypatch.setattr(grading_worker, "locate", then_a_file_appears)
    graded = grading_worker.grade(_worker(catalog, sandbox), submission)
    report = orchestration._report_of(graded, submission, list(catalog.exercises))
    assert "exercise01" not in orchestration._not_run(graded)
    assert "exercise02" in orchestration._not_run(graded)
    assert orchestration._suspect(report, orchestration._not_run(graded))


def test_a_worker_freezes_what_it_holds_and_still_collects_garbage() -> None:
    """grading_worker._settle: the worker's long-lived objects are frozen, so that full
    collections stop walking them; a cycle made afterwards is still collected."""
    import gc
    import weakref

    class Node:
        partner: object = None

    try:
        grading_worker._settle()
        assert gc.get_freeze_count() > 0
        first, second = Node(), Node()
        first.partner, second.partner = second, first
        gone = weakref.ref(first)
        del first, second
        gc.collect()
        assert gone() is None
    finally:
        gc.unfreeze()
